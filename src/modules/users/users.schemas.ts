import { Type, type Static } from 'typebox';
import type { Locale } from '../../lib/locale.js';

/** The language of the user's pages and mails (issue 8). */
export const LocaleSchema = Type.Union([Type.Literal('en'), Type.Literal('ru')], {
  description: 'Language of the web pages and of every mail to the user.',
  default: 'en',
});

export const RegisterBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 50, examples: ['alice'] }),
    email: Type.String({ format: 'email', maxLength: 100, examples: ['alice@example.com'] }),
    // S2: 8..128 characters, taken as typed (no trimming or composition rules).
    password: Type.String({ minLength: 8, maxLength: 128, examples: ['a long passphrase'] }),
    password_confirm: Type.String({ minLength: 8, maxLength: 128 }),
    locale: Type.Optional(LocaleSchema),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

const dateTime = Type.String({ format: 'date-time' });

export const UserPublic = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    email: Type.String(),
    is_active: Type.Boolean(),
    is_superuser: Type.Boolean(),
    email_verified: Type.Boolean(),
    created_at: dateTime,
    locale: LocaleSchema,
    pending_email: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description:
          'A new address waiting for its verification link to be opened; `email` stays the ' +
          'address in use until then.',
      }),
    ),
  },
  { title: 'User' },
);
export type UserPublic = Static<typeof UserPublic>;

export function toUserPublic(u: {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
  isSuperuser: boolean;
  emailVerifiedAt: Date | null;
  createdAt: Date;
  locale: Locale;
  pendingEmail?: string | null;
}): UserPublic {
  return {
    ...(u.pendingEmail === undefined ? {} : { pending_email: u.pendingEmail }),
    id: u.id,
    username: u.username,
    email: u.email,
    is_active: u.isActive,
    is_superuser: u.isSuperuser,
    email_verified: u.emailVerifiedAt !== null,
    created_at: u.createdAt.toISOString(),
    locale: u.locale,
  };
}

// --- Issue 4: administration, self-service, e-mail verification, password recovery.
// Every body refuses unknown fields (S11): `id`, `is_superuser`, `is_active` or a hash can
// never be slipped into a self-service route.

export const UserIdParams = Type.Object(
  {
    // int4 range: a bigger id is a 422, never a database error.
    id: Type.Integer({ minimum: 1, maximum: 2147483647, examples: [42] }),
  },
  { additionalProperties: false },
);

const Username = Type.String({ minLength: 3, maxLength: 50, examples: ['alice'] });
const Email = Type.String({ format: 'email', maxLength: 100, examples: ['alice@example.com'] });
const NewPassword = Type.String({
  minLength: 8,
  maxLength: 128,
  examples: ['a new long passphrase'],
});
const CurrentPassword = Type.String({
  minLength: 1,
  maxLength: 128,
  examples: ['a long passphrase'],
});
const AccountToken = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'The `token` of the link in the mail (after `#token=`).',
  examples: ['q3n0c2VyX3Rva2VuX2V4YW1wbGVfMzJfYnl0ZXNfYjY0'],
});

export const ListUsersQuery = Type.Object(
  {
    limit: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 20,
      description: 'Page size, 1 to 100.',
    }),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: 'Opaque: `next_cursor` of the previous page (same order_by and direction).',
      }),
    ),
    order_by: Type.Union([Type.Literal('id'), Type.Literal('created_at')], { default: 'id' }),
    direction: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
    is_active: Type.Optional(Type.Boolean({ description: 'false lists archived users.' })),
    is_superuser: Type.Optional(Type.Boolean()),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Case-insensitive prefix of the username or the e-mail address.',
        examples: ['ali'],
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListUsersQuery = Static<typeof ListUsersQuery>;

export const UserPage = Type.Object(
  {
    items: Type.Array(UserPublic),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next page; null on the last page.',
    }),
  },
  {
    title: 'UserPage',
    examples: [
      {
        items: [
          {
            id: 1,
            username: 'alice',
            email: 'alice@example.com',
            is_active: true,
            is_superuser: false,
            email_verified: true,
            created_at: '2026-01-01T10:00:00.000Z',
            locale: 'en',
          },
        ],
        next_cursor: 'eyJvIjoiaWQ6YXNjIiwiayI6MSwiaWQiOjF9',
      },
    ],
  },
);

export const UpdateMeBody = Type.Object(
  {
    username: Type.Optional(Username),
    email: Type.Optional(Email),
    current_password: Type.Optional(
      Type.String({ ...CurrentPassword, description: 'Required when `email` changes.' }),
    ),
    // No default here: the validator would fill it in, and every PATCH without `locale`
    // would reset the language to English.
    locale: Type.Optional(
      Type.Union([Type.Literal('en'), Type.Literal('ru')], {
        description: 'Language of the web pages and of every mail to the user.',
      }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ email: 'alice@new.example.com', current_password: 'a long passphrase' }],
  },
);

export const ChangePasswordBody = Type.Object(
  {
    current_password: CurrentPassword,
    new_password: NewPassword,
    new_password_confirm: NewPassword,
  },
  { additionalProperties: false },
);

export const ArchiveMeBody = Type.Object(
  { current_password: CurrentPassword },
  { additionalProperties: false },
);

export const AdminUpdateBody = Type.Object(
  {
    username: Type.Optional(Username),
    email: Type.Optional(Email),
    is_active: Type.Optional(Type.Boolean()),
    is_superuser: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ is_superuser: true }, { is_active: false }],
  },
);

export const VerifyEmailBody = Type.Object(
  { token: AccountToken },
  { additionalProperties: false },
);

export const PasswordRecoveryBody = Type.Object({ email: Email }, { additionalProperties: false });

export const ResetPasswordBody = Type.Object(
  {
    token: AccountToken,
    new_password: NewPassword,
    new_password_confirm: NewPassword,
  },
  { additionalProperties: false },
);

export const Accepted = Type.Object(
  { detail: Type.String() },
  {
    title: 'Accepted',
    examples: [{ detail: 'If the address belongs to an account, a mail is on its way.' }],
  },
);
