-- Issue 12 (S21, ADR 0019): report, never change. Under v1 rules a username could be any
-- 3-50 characters, "@" included, so one account's username can equal another account's
-- e-mail address (sign-in by that address then reached the wrong account). Each such pair is
-- recorded in sign_in_name_conflicts; `npm run accounts:names` lists them, fills the
-- confusable fold of existing usernames (which needs the Unicode tables, not available to
-- SQL) and reports look-alikes; `npm run accounts:names -- resolve` renames what is listed.
INSERT INTO "sign_in_name_conflicts" ("user_id", "other_user_id", "kind", "username")
SELECT u."id", o."id", 'username_is_email', u."username"
FROM "users" u
JOIN "users" o ON lower(o."email") = lower(u."username") AND o."id" <> u."id"
ON CONFLICT DO NOTHING;
