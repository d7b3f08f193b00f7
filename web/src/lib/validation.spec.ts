import { describe, expect, it } from 'vitest';
import { confirm, email, httpUrl, password, username } from './validation';

describe('form rules (the server checks them too: users.schemas.ts)', () => {
  it('username: 3 to 50 characters', () => {
    expect(username('')).toBe('valid.required');
    expect(username('ab')).toBe('valid.username');
    expect(username('abc')).toBeNull();
    expect(username('a'.repeat(51))).toBe('valid.username');
  });
  it('email', () => {
    expect(email('alice@example.com')).toBeNull();
    expect(email('alice@')).toBe('valid.email');
    expect(email('  ')).toBe('valid.required');
  });
  it('password: 8 to 128 characters taken as typed (S2)', () => {
    expect(password('1234567')).toBe('valid.password');
    expect(password('       8')).toBeNull();
    expect(password('x'.repeat(129))).toBe('valid.password');
  });
  it('confirmation must match', () => {
    const rule = confirm('password');
    expect(rule('secret-one', { password: 'secret-two' })).toBe('valid.mismatch');
    expect(rule('secret-one', { password: 'secret-one' })).toBeNull();
    expect(rule('', { password: 'x' })).toBe('valid.required');
  });
  it('repository URL: http(s) or empty', () => {
    expect(httpUrl('')).toBeNull();
    expect(httpUrl('ftp://x')).toBe('valid.url');
    expect(httpUrl('https://github.com/ifd/board')).toBeNull();
  });
});
