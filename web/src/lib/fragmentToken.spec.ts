import { describe, expect, it } from 'vitest';
import { captureFragmentToken, fragmentToken } from './fragmentToken';

describe('single-use link tokens in the URL fragment', () => {
  it('takes the token and wipes it from the address bar before anything else', () => {
    window.history.pushState(null, '', '/verify-email#token=abc123');
    captureFragmentToken();
    expect(window.location.hash).toBe('');
    expect(window.location.href).not.toContain('abc123');
    expect(fragmentToken('/verify-email')).toBe('abc123');
    // the page mounting again (the shell re-renders when the session settles) keeps it…
    expect(fragmentToken('/verify-email')).toBe('abc123');
    // …and once the app is on another page, nobody sees it
    window.history.pushState(null, '', '/signin');
    expect(fragmentToken('/verify-email')).toBeNull();
  });

  it('belongs to the page it arrived on', () => {
    window.history.pushState(null, '', '/reset-password#token=xyz');
    captureFragmentToken();
    expect(fragmentToken('/verify-email')).toBeNull();
  });

  it('takes a ?token= link too and keeps the rest of the query', () => {
    window.history.pushState(null, '', '/verify-email?token=old1&x=1');
    captureFragmentToken();
    expect(window.location.search).toBe('?x=1');
    expect(fragmentToken('/verify-email')).toBe('old1');
  });

  it('leaves other fragments alone', () => {
    window.history.pushState(null, '', '/#main');
    captureFragmentToken();
    expect(window.location.hash).toBe('#main');
  });
});
