import { describe, expect, it, vi } from 'vitest';
import { Session, REFRESH_MARGIN_S } from './session';

const ORIGIN = 'http://app.test';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** A fake server: records requests; answers each with the next of `answers` for its path. */
function fakeServer(answers: Record<string, (() => Response)[]>) {
  const calls: { path: string; auth: string | null; csrf: string | null }[] = [];
  const fetch = vi.fn(async (req: Request) => {
    const path = new URL(req.url).pathname;
    calls.push({
      path,
      auth: req.headers.get('Authorization'),
      csrf: req.headers.get('X-CSRF-Protection'),
    });
    const next = answers[path]?.shift();
    if (!next) {
      throw new Error(`unexpected request ${path}`);
    }
    return next();
  });
  return { fetch, calls };
}

function manualTimers() {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        const h = { fn, ms };
        pending.push(h);
        return h;
      },
      clearTimeout: (h: unknown) => {
        const i = pending.indexOf(h as (typeof pending)[number]);
        if (i >= 0) {
          pending.splice(i, 1);
        }
      },
    },
  };
}

const tokens =
  (n: number, expires = 900) =>
  () =>
    json(200, { access_token: `t${n}`, token_type: 'bearer', expires_in: expires });

describe('Session (access token in memory, refresh cookie, ADR 0005)', () => {
  it('restores a session on load with one refresh call that carries the CSRF header', async () => {
    const server = fakeServer({ '/api/v1/auth/browser/refresh': [tokens(1)] });
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: manualTimers().timers });
    expect(s.getStatus()).toBe('loading');
    await s.restore();
    expect(s.getStatus()).toBe('signedIn');
    expect(s.getToken()).toBe('t1');
    expect(server.calls).toEqual([{ path: '/api/v1/auth/browser/refresh', auth: null, csrf: '1' }]);
  });

  it('is signed out after load when there is no session cookie (401)', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/refresh': [() => json(401, { detail: 'Session expired' })],
    });
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: manualTimers().timers });
    await s.restore();
    expect(s.getStatus()).toBe('signedOut');
    expect(s.getToken()).toBeNull();
  });

  it('schedules the refresh a minute before the token expires, and rotates it', async () => {
    const server = fakeServer({ '/api/v1/auth/browser/refresh': [tokens(1, 900), tokens(2, 900)] });
    const clock = manualTimers();
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: clock.timers });
    await s.restore();
    expect(clock.pending.map((p) => p.ms)).toEqual([(900 - REFRESH_MARGIN_S) * 1000]);
    clock.pending[0]!.fn();
    await vi.waitFor(() => expect(s.getToken()).toBe('t2'));
    expect(clock.pending).toHaveLength(1);
  });

  it('sends the access token, and on a 401 refreshes once and retries the call', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/refresh': [tokens(1), tokens(2)],
      '/api/v1/users/me': [
        () => json(401, { detail: 'Invalid token error.' }),
        () => json(200, { id: 7 }),
      ],
    });
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: manualTimers().timers });
    await s.restore();
    const res = await s.fetch(new Request(`${ORIGIN}/api/v1/users/me`));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 7 });
    expect(server.calls.map((c) => [c.path, c.auth])).toEqual([
      ['/api/v1/auth/browser/refresh', null],
      ['/api/v1/users/me', 'Bearer t1'],
      ['/api/v1/auth/browser/refresh', null],
      ['/api/v1/users/me', 'Bearer t2'],
    ]);
  });

  it('concurrent 401s share one refresh', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/refresh': [tokens(1), tokens(2)],
      '/api/v1/a': [() => json(401, {}), () => json(200, {})],
      '/api/v1/b': [() => json(401, {}), () => json(200, {})],
    });
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: manualTimers().timers });
    await s.restore();
    await Promise.all([
      s.fetch(new Request(`${ORIGIN}/api/v1/a`)),
      s.fetch(new Request(`${ORIGIN}/api/v1/b`)),
    ]);
    expect(server.calls.filter((c) => c.path.endsWith('/refresh'))).toHaveLength(2);
  });

  it('signs out when the refresh after a 401 is refused (session revoked)', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/refresh': [tokens(1), () => json(401, { detail: 'Session expired' })],
      '/api/v1/users/me': [() => json(401, {})],
    });
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: manualTimers().timers });
    await s.restore();
    const res = await s.fetch(new Request(`${ORIGIN}/api/v1/users/me`));
    expect(res.status).toBe(401);
    expect(s.getStatus()).toBe('signedOut');
  });

  it('an archived account (403 User inactive) ends the session at once', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/refresh': [tokens(1), () => json(403, { detail: 'User inactive' })],
      '/api/v1/users/me': [() => json(403, { detail: 'User inactive' })],
    });
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: manualTimers().timers });
    await s.restore();
    const seen: string[] = [];
    s.subscribe(() => seen.push(s.getStatus()));
    await s.fetch(new Request(`${ORIGIN}/api/v1/users/me`));
    expect(s.getStatus()).toBe('signedOut');
    expect(s.getToken()).toBeNull();
    expect(seen).toContain('signedOut');
  });

  it('a 403 for another reason keeps the session', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/refresh': [tokens(1)],
      '/api/v1/projects/': [() => json(403, { detail: 'Superuser privileges required' })],
    });
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: manualTimers().timers });
    await s.restore();
    await s.fetch(new Request(`${ORIGIN}/api/v1/projects/`, { method: 'POST' }));
    expect(s.getStatus()).toBe('signedIn');
  });

  it('login keeps the token; bad credentials throw the server detail', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/login': [
        () => json(400, { detail: 'LOGIN_BAD_CREDENTIALS' }),
        tokens(5),
      ],
    });
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: manualTimers().timers });
    await expect(s.login('alice', 'wrong')).rejects.toMatchObject({
      status: 400,
      detail: 'LOGIN_BAD_CREDENTIALS',
    });
    await s.login('alice', 'right password');
    expect(s.getToken()).toBe('t5');
    expect(server.calls.every((c) => c.csrf === '1')).toBe(true);
  });

  it('logout revokes on the server and forgets the token even if the call fails', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/login': [tokens(5)],
      '/api/v1/auth/browser/logout': [
        () => {
          throw new TypeError('network down');
        },
      ],
    });
    const clock = manualTimers();
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: clock.timers });
    await s.login('alice', 'pw');
    await expect(s.logout()).rejects.toThrow('network down');
    expect(s.getStatus()).toBe('signedOut');
    expect(s.getToken()).toBeNull();
    expect(clock.pending).toHaveLength(0);
  });

  it('a network error while signed in keeps the session and tries again later', async () => {
    const server = fakeServer({
      '/api/v1/auth/browser/refresh': [
        tokens(1),
        () => {
          throw new TypeError('offline');
        },
      ],
    });
    const clock = manualTimers();
    const s = new Session({ origin: ORIGIN, fetch: server.fetch, timers: clock.timers });
    await s.restore();
    expect(await s.refresh()).toBe(false);
    expect(s.getStatus()).toBe('signedIn');
    expect(clock.pending.map((p) => p.ms)).toEqual([30_000]);
  });
});
