// Keyset cursors (pure): what a client sends back is exactly what it was given, a cursor of
// another list is refused, and anything malformed is a 422 on query.cursor, never a 500.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from './errors.js';
import { decodeCursor, encodeCursor, likePrefix, mapPage, toPage } from './pagination.js';

const refusedAs = (raw: string, order: string, msg: string) =>
  assert.throws(
    () => decodeCursor(raw, order),
    (e: unknown) =>
      e instanceof DomainError &&
      e.code === 'invalid_cursor' &&
      JSON.stringify(e.http) ===
        JSON.stringify({
          status: 422,
          detail: 'Request data is not correct',
          errors: [{ loc: ['query', 'cursor'], msg, type: 'value_error.cursor' }],
        }),
  );

describe('cursors', () => {
  test('round trip: numbers and strings keys, url-safe text', () => {
    for (const c of [
      { o: '-id', k: 41, id: 41 },
      { o: 'created_at:desc', k: '2026-12-01T13:34:30.123456Z', id: 7 },
    ]) {
      const raw = encodeCursor(c);
      assert.match(raw, /^[A-Za-z0-9_-]+$/);
      assert.deepEqual(decodeCursor(raw, c.o), c);
    }
  });

  test('a cursor made for another order is refused with its own message', () => {
    refusedAs(
      encodeCursor({ o: 'id:asc', k: 1, id: 1 }),
      'id:desc',
      'Cursor was made for another order_by; start again without a cursor',
    );
  });

  test('malformed: not base64url, not JSON, wrong shapes, unsafe ids, long keys', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const raw of [
      'not base64!',
      '',
      'x'.repeat(513),
      Buffer.from('{').toString('base64url'),
      b64(null),
      b64([1]),
      b64({ o: 'id', k: 1 }),
      b64({ o: 'id', k: true, id: 1 }),
      b64({ o: 'id', k: 1, id: 2 ** 53 }),
      b64({ o: 'id', k: 'k'.repeat(101), id: 1 }),
    ]) {
      refusedAs(raw, 'id', 'Cursor is not valid');
    }
  });
});

describe('pages', () => {
  test('toPage: limit + 1 rows means a next cursor from the last item kept', () => {
    const rows = [{ id: 3 }, { id: 2 }, { id: 1 }];
    const page = toPage(rows, 2, '-id', (r) => ({ k: r.id, id: r.id }));
    assert.deepEqual(page.items, [{ id: 3 }, { id: 2 }]);
    assert.deepEqual(decodeCursor(page.nextCursor ?? '', '-id'), { o: '-id', k: 2, id: 2 });
    assert.equal(toPage(rows, 3, '-id', (r) => ({ k: r.id, id: r.id })).nextCursor, null);
  });

  test('mapPage maps the items and keeps the cursor', () => {
    assert.deepEqual(
      mapPage({ items: [1, 2], next_cursor: 'c' }, (n) => n * 10),
      {
        items: [10, 20],
        next_cursor: 'c',
      },
    );
  });

  test('likePrefix escapes the LIKE wildcards of a search', () => {
    assert.equal(likePrefix('50%_a\\b'), '50\\%\\_a\\\\b%');
  });
});
