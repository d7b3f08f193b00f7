// ADR 0018: what a process may answer without the database, and when it must ask.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionStateCache } from './session-cache.js';

test('unknown sessions, and sessions known live only as of an older revision, need a read', () => {
  const cache = new SessionStateCache();
  assert.equal(cache.revokedAsOf('a', 1), undefined);
  cache.markLive('a', 3);
  assert.equal(cache.revokedAsOf('a', 3), false);
  assert.equal(cache.revokedAsOf('a', 2), false);
  assert.equal(cache.revokedAsOf('a', 4), undefined);
});

test('revoked stays revoked: a late "live" answer does not resurrect it', () => {
  const cache = new SessionStateCache();
  cache.markRevoked('a');
  cache.markLive('a', 10);
  assert.equal(cache.revokedAsOf('a', 10), true);
});

test('bounded: the oldest entry goes first, and a dropped entry means "ask", never "live"', () => {
  const cache = new SessionStateCache(2);
  cache.markRevoked('a');
  cache.markLive('b', 1);
  cache.markLive('c', 1);
  assert.equal(cache.revokedAsOf('a', 1), undefined);
  assert.equal(cache.revokedAsOf('b', 1), false);
  assert.equal(cache.revokedAsOf('c', 1), false);
});
