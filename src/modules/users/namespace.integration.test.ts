// Issue 12 (S21): one namespace for sign-in names. New usernames are NFKC-normalised, limited
// to a safe set and unique over a confusable fold; no username contains "@", no address equals
// another account's username; names chosen under the v1 rules (any 3-50 characters) keep
// signing in; the migration's report and `npm run accounts:names` find and resolve collisions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { login, newUser, register } from '../../../test/helpers/factories.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { invalid, userBody } from '../../../test/helpers/normalise.js';
import { runEntry } from '../../../test/helpers/process.js';
import { projectRoot } from '../../lib/paths.js';
import { hashPassword } from '../auth/passwords.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t?.close();
});

const tag = () => randomBytes(4).toString('hex');
/** The 422s of a username outside the safe set (issue 12, S21). */
const usernameError = (msg: string) =>
  invalid({ loc: ['body', 'username'], msg, type: 'value_error.username' });
const NO_AT = usernameError(
  'A username cannot contain "@": sign in with your e-mail address instead',
);
const SAFE_SET = usernameError('A username may contain only letters, digits, ".", "_" and "-"');

async function query<T>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await t.database.pool.query(text, params)).rows as T[];
}

const registerRaw = (body: Record<string, unknown>) =>
  request<{ detail: string; errors?: { loc: string[]; msg: string }[]; username?: string }>(
    t.url,
    'POST',
    '/api/v1/users/',
    { json: body },
  );

/** An account as the v1 service could have stored it: any 3-50 characters, no fold. */
async function legacyUser(username: string, email: string, password: string): Promise<number> {
  const [row] = await query<{ id: number }>(
    `INSERT INTO users (username, email, password_hash, email_verified_at)
     VALUES ($1, $2, $3, now()) RETURNING id`,
    [username, email, await hashPassword(password)],
  );
  return row!.id;
}

const signIn = (username: string, password: string) =>
  request<{ access_token: string }>(t.url, 'POST', '/api/v1/jwt/login/', {
    form: { username, password },
  });

async function whoIs(accessToken: string): Promise<number> {
  const me = await request<{ id: number }>(t.url, 'GET', '/api/v1/jwt/users/me/', {
    token: accessToken,
  });
  return me.body.id;
}

describe('S21 new usernames: the safe set', () => {
  const e = (msg: string, type: string) => ({ loc: ['body', 'username'], msg, type });
  const AT = e(
    'A username cannot contain "@": sign in with your e-mail address instead',
    'value_error.username',
  );
  const SAFE = e(
    'A username may contain only letters, digits, ".", "_" and "-"',
    'value_error.username',
  );
  const CONTROL = e('must not contain control characters', 'string_control_character');
  const refused: [string, string, ReturnType<typeof e>][] = [
    ['an @', `bob@${tag()}`, AT],
    ['an e-mail address', `alice_${tag()}@example.com`, AT],
    ['a zero-width space', `bo\u200bb_${tag()}`, SAFE],
    ['a zero-width joiner', `bo\u200db_${tag()}`, SAFE],
    ['a right-to-left override', `\u202eadmin_${tag()}`, SAFE],
    ['a newline with a URL', `bob_${tag()}\nhttps://evil.example`, CONTROL],
    ['a control character', `bob_${tag()}\u0007`, CONTROL],
    ['a trailing space', `bob_${tag()} `, SAFE],
    ['a leading space', ` bob_${tag()}`, SAFE],
    ['a space inside', `bob ${tag()}`, SAFE],
    ['an emoji', `bob_${tag()}_\u{1F600}`, SAFE],
    ['a lone combining mark first', `\u0301bob_${tag()}`, SAFE],
  ];
  for (const [what, username, error] of refused) {
    test(`registration refuses ${what} with 422 on body.username`, async () => {
      const res = await registerRaw(newUser({ username }));
      assert.deepEqual([res.status, res.body], [422, invalid(error)], res.text);
    });
  }

  test('letters of any script, digits, ".", "_" and "-" are accepted', async () => {
    for (const username of [`Zoë.${tag()}`, `иван_${tag()}`, `名前-${tag()}`, `a.b_c-${tag()}`]) {
      const body = newUser({ username });
      const res = await registerRaw(body);
      assert.equal(res.status, 201, `${username}: ${res.text}`);
      assert.deepEqual(
        normalised(res.body),
        userBody({ id: '<id>', username: username.normalize('NFKC'), email: body.email }),
      );
    }
  });

  test('NFKC: a fullwidth name is stored in its plain form and signs in typed either way', async () => {
    const plain = `bob_${tag()}`;
    const fullwidth = [...plain]
      .map((c) => (c === '_' ? '＿' : String.fromCodePoint(c.codePointAt(0)! + 0xfee0)))
      .join('');
    assert.notEqual(fullwidth, plain);
    const body = newUser({ username: fullwidth });
    const res = await registerRaw(body);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(
      normalised(res.body),
      userBody({ id: '<id>', username: plain, email: body.email }),
    );
    assert.equal((await signIn(plain, body.password)).status, 200);
    assert.equal((await signIn(fullwidth, body.password)).status, 200);
  });

  test('PATCH /me and the admin PATCH refuse the same names', async () => {
    const u = await register(t.url);
    const { access_token } = await login(t.url, u.username, u.password);
    for (const [username, body] of [
      [`x@${tag()}`, NO_AT],
      [`zw\u200b${tag()}`, SAFE_SET],
      [`sp ${tag()}`, SAFE_SET],
    ] as const) {
      const res = await request(t.url, 'PATCH', '/api/v1/users/me', {
        token: access_token,
        json: { username },
      });
      assert.deepEqual([res.status, res.body], [422, body], JSON.stringify(username));
    }
    await query('UPDATE users SET is_superuser = true WHERE id = $1', [u.id]);
    const other = await register(t.url);
    const admin = await request(t.url, 'PATCH', `/api/v1/users/${other.id}`, {
      token: access_token,
      json: { username: `${other.email}` },
    });
    assert.deepEqual([admin.status, admin.body], [422, NO_AT]);
  });
});

describe('S21 look-alikes: uniqueness over the confusable fold', () => {
  const pairs: [string, (s: string) => string][] = [
    ['Cyrillic а for Latin a', (s) => s.replace('a', '\u0430')],
    ['Cyrillic о for Latin o', (s) => s.replace('o', '\u043e')],
    ['digit 0 for letter o', (s) => s.replace('o', '0')],
    ['capital I for small l', (s) => s.replace('l', 'I')],
    ['rn for m', (s) => s.replace('m', 'rn')],
    ['another letter case', (s) => s.toUpperCase()],
  ];
  for (const [what, lookalike] of pairs) {
    test(`${what}: the second name is "Username already exists" (400)`, async () => {
      const original = `amlo_${tag()}`;
      await register(t.url, { username: original });
      const copy = lookalike(original);
      assert.notEqual(copy, original);
      const res = await registerRaw(newUser({ username: copy }));
      assert.deepEqual([res.status, res.body], [400, { detail: 'Username already exists' }]);
    });
  }

  test('PATCH /me to a look-alike of another user is 400 "Username already exists"', async () => {
    const victim = await register(t.url, { username: `paypal_${tag()}` });
    const u = await register(t.url);
    const { access_token } = await login(t.url, u.username, u.password);
    const res = await request(t.url, 'PATCH', '/api/v1/users/me', {
      token: access_token,
      json: { username: victim.username.replace('a', '\u0430') },
    });
    assert.deepEqual([res.status, res.body], [400, { detail: 'Username already exists' }]);
  });

  test('concurrent registrations of two look-alikes: one 201, one 400, never a 500', async () => {
    const name = `mallory_${tag()}`;
    const results = await Promise.all(
      [name, name.replace('a', '\u0430'), name.replace('o', '0'), name.toUpperCase()].map((n) =>
        registerRaw(newUser({ username: n })),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 400, 400, 400]);
  });
});

describe('S21 one namespace: usernames and e-mail addresses', () => {
  test('a legacy username equal to an address no longer captures that address', async () => {
    const password = 'victim passphrase 1';
    const victim = await register(t.url, { password, password_confirm: password });
    // An attacker's v1-era account whose username is the victim's address (in capitals).
    const attackerPassword = 'attacker passphrase 1';
    const attacker = await legacyUser(
      victim.email.toUpperCase(),
      `attacker_${tag()}@example.com`,
      attackerPassword,
    );
    const res = await signIn(victim.email, password);
    assert.equal(res.status, 200, 'the victim signs in with the address');
    assert.equal(await whoIs(res.body.access_token), victim.id);
    const wrongWay = await signIn(victim.email, attackerPassword);
    assert.deepEqual(
      [wrongWay.status, wrongWay.body],
      [401, { detail: 'Invalid username or password' }],
      'the address never reaches the attacker',
    );
    assert.notEqual(attacker, victim.id);
  });

  test('registration with an address equal to an existing username is "Email already exists"', async () => {
    const address = `taken_${tag()}@example.com`;
    await legacyUser(address, `owner_${tag()}@example.com`, 'legacy passphrase 1');
    const res = await registerRaw(newUser({ email: address.toUpperCase() }));
    assert.deepEqual([res.status, res.body], [400, { detail: 'Email already exists' }]);
  });

  test('the admin PATCH cannot give an address equal to another account’s username', async () => {
    const su = await register(t.url);
    await query('UPDATE users SET is_superuser = true WHERE id = $1', [su.id]);
    const { access_token } = await login(t.url, su.username, su.password);
    const address = `name_${tag()}@example.com`;
    await legacyUser(address, `holder_${tag()}@example.com`, 'legacy passphrase 1');
    const target = await register(t.url);
    const res = await request(t.url, 'PATCH', `/api/v1/users/${target.id}`, {
      token: access_token,
      json: { email: address },
    });
    assert.deepEqual([res.status, res.body], [400, { detail: 'Email already exists' }]);
  });
});

describe('S21 v1 contract: names chosen under the v1 rules keep signing in', () => {
  const v1Names = [
    'old name with spaces',
    'Zoë trailing ',
    'dash—and “quotes”',
    'has@sign.but.no.account',
    'ＦＵＬＬＷＩＤＴＨ',
  ];
  for (const name of v1Names) {
    test(`"${name}" signs in by username (any letter case) and by address`, async () => {
      const username = `${tag().slice(0, 4)}${name}`;
      const email = `legacy_${tag()}@example.com`;
      const id = await legacyUser(username, email, 'legacy passphrase 1');
      for (const login of [username, username.toUpperCase(), email]) {
        const res = await signIn(login, 'legacy passphrase 1');
        assert.equal(res.status, 200, `${JSON.stringify(login)}: ${res.text}`);
        assert.equal(await whoIs(res.body.access_token), id);
      }
    });
  }

  test('v1 sentences stay: taken username first, then taken e-mail, then mismatch', async () => {
    const u = await register(t.url);
    const both = await registerRaw(newUser({ username: u.username, email: u.email }));
    assert.deepEqual([both.status, both.body], [400, { detail: 'Username already exists' }]);
    const email = await registerRaw(newUser({ email: u.email.toUpperCase() }));
    assert.deepEqual([email.status, email.body], [400, { detail: 'Email already exists' }]);
    const mismatch = await registerRaw({ ...newUser(), password_confirm: 'another passphrase 9' });
    assert.deepEqual([mismatch.status, mismatch.body], [400, { detail: 'Passwords do not match' }]);
  });
});

describe('S21 the migration reports collisions; `npm run accounts:names` resolves them', () => {
  test('report lists them (exit 1) without changing data; resolve renames; the owners sign in', async () => {
    const victimPassword = 'victim passphrase 2';
    const victim = await register(t.url, {
      password: victimPassword,
      password_confirm: victimPassword,
    });
    const squatter = await legacyUser(
      victim.email,
      `sq_${tag()}@example.com`,
      'legacy passphrase 1',
    );
    const original = `lookalike_${tag()}`;
    const first = await legacyUser(original, `la1_${tag()}@example.com`, 'legacy passphrase 1');
    const second = await legacyUser(
      original.replace('o', '\u043e'),
      `la2_${tag()}@example.com`,
      'legacy passphrase 1',
    );
    // What the migration does on an upgraded database (it ran here on an empty one).
    const migration = readFileSync(
      join(projectRoot, 'migrations', '0009_sign_in_name_report.sql'),
      'utf8',
    );
    await t.database.pool.query(migration);
    const recorded = await query<{ user_id: number; other_user_id: number; kind: string }>(
      'SELECT user_id, other_user_id, kind FROM sign_in_name_conflicts WHERE user_id = $1',
      [squatter],
    );
    assert.deepEqual(recorded, [
      { user_id: squatter, other_user_id: victim.id, kind: 'username_is_email' },
    ]);

    const env = { DATABASE_URL: t.testDb.url };
    const report = await runEntry('scripts/accounts-names.ts', env, { args: ['report'] });
    assert.equal(report.code, 1, report.output);
    assert.match(
      report.output,
      new RegExp(`user ${squatter}, username ".*" equals the e-mail address of user ${victim.id}`),
    );
    assert.match(
      report.output,
      new RegExp(`user ${second}, username ".*" looks like the username of user ${first}`),
    );
    const [unchanged] = await query<{ username: string }>(
      'SELECT username FROM users WHERE id = $1',
      [squatter],
    );
    assert.equal(unchanged?.username, victim.email, 'report changes no data');

    const resolve = await runEntry('scripts/accounts-names.ts', env, { args: ['resolve'] });
    assert.equal(resolve.code, 0, resolve.output);
    const names = await query<{ id: number; username: string }>(
      'SELECT id, username FROM users WHERE id = ANY($1) ORDER BY id',
      [[squatter, first, second]],
    );
    assert.deepEqual(names, [
      { id: squatter, username: `user${squatter}` },
      { id: first, username: original },
      { id: second, username: `user${second}` },
    ]);
    const again = await runEntry('scripts/accounts-names.ts', env, { args: ['report'] });
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /No open conflict\./);
    // Everyone signs in: the victim by address, the renamed accounts by address and new name.
    assert.equal((await signIn(victim.email, victimPassword)).status, 200);
    assert.equal((await signIn(`user${second}`, 'legacy passphrase 1')).status, 200);
  });
});
