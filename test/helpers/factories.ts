import { randomBytes } from 'node:crypto';
import { request } from './http.js';

let seq = 0;
/** A unique, valid registration body. */
export function newUser(
  overrides: Partial<Record<'username' | 'email' | 'password' | 'password_confirm', string>> = {},
) {
  seq += 1;
  const tag = `${process.pid.toString(36)}${seq}${randomBytes(3).toString('hex')}`;
  const password = overrides.password ?? `correct horse ${tag}`;
  return {
    username: `user_${tag}`,
    email: `user_${tag}@example.com`,
    password,
    password_confirm: password,
    ...overrides,
  };
}

export interface Registered {
  id: number;
  username: string;
  email: string;
  password: string;
}

export async function register(
  base: string,
  overrides: Parameters<typeof newUser>[0] = {},
): Promise<Registered> {
  const body = newUser(overrides);
  const res = await request<{ id: number }>(base, 'POST', '/api/v1/users/', { json: body });
  if (res.status !== 201) {
    throw new Error(`register failed: ${res.status} ${res.text}`);
  }
  return { id: res.body.id, username: body.username, email: body.email, password: body.password };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

export async function login(base: string, username: string, password: string): Promise<Tokens> {
  const res = await request<Tokens>(base, 'POST', '/api/v1/jwt/login/', {
    form: { username, password },
  });
  if (res.status !== 200) {
    throw new Error(`login failed: ${res.status} ${res.text}`);
  }
  return res.body;
}
