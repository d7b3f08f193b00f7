// Keyset ("seek") pagination shared by every list endpoint (P6). A page is fetched with
// `WHERE (sort_key, id) > (cursor.k, cursor.id) ORDER BY sort_key, id LIMIT limit + 1`, so
// the cost of page N does not grow with N, and rows inserted meanwhile never shift a page.
// The cursor is opaque to clients: base64url of JSON { o: order, k: sort key, id }.
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { Type, type TSchema } from 'typebox';
import { DomainError } from './errors.js';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

export type SortDirection = 'asc' | 'desc';

/** What a cursor carries: the order it was made for, the last row's sort key and id. */
export interface CursorData {
  /** The `order_by` value of the request that produced it (a cursor is only valid for it). */
  o: string;
  /** The last row's sort key, as text (timestamps keep their microseconds this way). */
  k: string | number;
  id: number;
}

export function encodeCursor(data: CursorData): string {
  return Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
}

function badCursor(reason: 'malformed' | 'other_order') {
  return new DomainError('invalid_cursor', { reason });
}

/**
 * Decodes a client's cursor; anything malformed, or made for another order, is a 422 on
 * `query.cursor` (never a 500).
 */
export function decodeCursor(raw: string, order: string): CursorData {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(raw)) {
      throw new Error('not base64url');
    }
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('malformed');
  }
  const c = parsed as Partial<CursorData> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.o !== 'string' ||
    !(typeof c.k === 'string' || typeof c.k === 'number') ||
    (typeof c.k === 'string' && c.k.length > 100) ||
    typeof c.id !== 'number' ||
    !Number.isSafeInteger(c.id)
  ) {
    throw badCursor('malformed');
  }
  if (c.o !== order) {
    throw badCursor('other_order');
  }
  return { o: c.o, k: c.k, id: c.id };
}

/** A sort: the key expression, the tie-breaking unique id column, and the direction. */
export interface KeysetSort {
  key: SQLWrapper;
  id: SQLWrapper;
  direction: SortDirection;
  /**
   * SQL type the cursor's key is cast to when compared, e.g. 'timestamptz'. Leave undefined
   * when the key is the id itself.
   */
  keyType?: 'timestamptz' | 'bigint' | 'integer' | 'text';
  /** The cursor key as the database should hand it back (e.g. a timestamp to text). */
  keyText?: SQL;
  /** SQL type of the id column; a cursor id outside its range is a 422 (default integer). */
  idType?: 'integer' | 'bigint';
}

const INT4_MAX = 2147483647;
// ISO 8601 as the cursors write it (to_char ... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), or with an offset.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-]\d{2}(?::?\d{2})?)$/;

function isRealTimestamp(text: string): boolean {
  const m = TIMESTAMP.exec(text);
  if (m === null) {
    return false;
  }
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m
    .slice(1, 7)
    .map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

/**
 * A cursor is input like any other (R14): its id must fit the id column and its key must be
 * a value of the key's SQL type, or the comparison would fail in the database (a 500).
 */
function checkCursorFits(sort: KeysetSort, cursor: CursorData): void {
  const idMax = sort.idType === 'bigint' ? Number.MAX_SAFE_INTEGER : INT4_MAX;
  if (!Number.isSafeInteger(cursor.id) || cursor.id < 0 || cursor.id > idMax) {
    throw badCursor('malformed');
  }
  const k = cursor.k;
  switch (sort.keyType) {
    case undefined:
    case 'text':
      return;
    case 'timestamptz':
      if (typeof k !== 'string' || !isRealTimestamp(k)) {
        throw badCursor('malformed');
      }
      return;
    case 'integer':
    case 'bigint': {
      const n = typeof k === 'number' ? k : /^-?(0|[1-9]\d*)$/.test(k) ? Number(k) : NaN;
      const max = sort.keyType === 'integer' ? INT4_MAX : Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(n) || Math.abs(n) > max) {
        throw badCursor('malformed');
      }
      return;
    }
  }
}

/**
 * The "after the cursor" condition. A row comparison `(key, id) > (k, id)` is answered by a
 * btree index on (key, id) in either direction.
 */
export function keysetAfter(sort: KeysetSort, cursor: CursorData | undefined): SQL | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  checkCursorFits(sort, cursor);
  const op = sort.direction === 'asc' ? sql`>` : sql`<`;
  if (sort.keyType === undefined) {
    return sql`${sort.id} ${op} ${cursor.id}`;
  }
  const k = sql`CAST(${String(cursor.k)} AS ${sql.raw(sort.keyType)})`;
  return sql`(${sort.key}, ${sort.id}) ${op} (${k}, ${cursor.id})`;
}

/** ORDER BY for the sort: key then id, both in the same direction (so one index serves). */
export function keysetOrderBy(sort: KeysetSort): SQL[] {
  const dir = sort.direction === 'asc' ? sql`ASC` : sql`DESC`;
  if (sort.keyType === undefined) {
    return [sql`${sort.id} ${dir}`];
  }
  return [sql`${sort.key} ${dir}`, sql`${sort.id} ${dir}`];
}

/**
 * Given the rows of a query run with LIMIT limit + 1, the page and the cursor of the next
 * one (null on the last page).
 */
export function toPage<R>(
  rows: R[],
  limit: number,
  order: string,
  cursorOf: (row: R) => { k: string | number; id: number },
): { items: R[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > limit && last !== undefined
      ? encodeCursor({ o: order, ...cursorOf(last) })
      : null;
  return { items, nextCursor };
}

/** Escapes LIKE wildcards so a user's `q` is matched as a literal prefix. */
export function likePrefix(q: string): string {
  return `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Query-string fields every keyset list accepts. */
export const PageQueryFields = {
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_PAGE_LIMIT,
    default: DEFAULT_PAGE_LIMIT,
    description: `Page size, 1 to ${MAX_PAGE_LIMIT}.`,
  }),
  cursor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'Opaque: the `next_cursor` of the previous page. Omit for the first page.',
    }),
  ),
};

/** The response envelope of a keyset list: `{ items, next_cursor }`. */
export function PageSchema<T extends TSchema>(item: T, title: string) {
  return Type.Object(
    {
      items: Type.Array(item),
      next_cursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` to get the next page; null on the last page.',
      }),
    },
    { title },
  );
}
export type Page<T> = { items: T[]; next_cursor: string | null };

/** A page of domain objects as a page of API shapes (routes map, services do not). */
export function mapPage<T, U>(page: Page<T>, map: (item: T) => U): Page<U> {
  return { items: page.items.map(map), next_cursor: page.next_cursor };
}
