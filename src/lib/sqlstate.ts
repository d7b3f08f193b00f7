// Database errors that a request's input can still provoke, mapped to a 4xx by SQLSTATE
// (R14): the schemas should have refused the input first, but if one did not, the client
// gets a clear 4xx and never a 500. Codes: PostgreSQL manual, appendix A. CHECK, NOT NULL and
// foreign-key violations stay 500s: with validated input they mean a bug on our side.

export interface SqlStateHttp {
  status: number;
  detail: string;
}

const BY_CODE: Record<string, SqlStateHttp> = {
  '23505': { status: 409, detail: 'A record with this value already exists' },
  '54000': { status: 422, detail: 'A value is too large' },
  '54001': { status: 422, detail: 'Request data is too complex' },
};

/** The SQLSTATE of a driver error, looked for through `cause` (Drizzle wraps pg errors). */
export function sqlStateOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const { code, cause, severity } = e as { code?: unknown; cause?: unknown; severity?: unknown };
    // pg errors carry `severity`; a Fastify or Node error with a string code does not.
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && severity !== undefined) {
      return code;
    }
    e = cause;
  }
  return undefined;
}

/** The 4xx answer for a database error caused by input, or undefined for anything else. */
export function httpForSqlState(err: unknown): SqlStateHttp | undefined {
  const code = sqlStateOf(err);
  if (code === undefined) {
    return undefined;
  }
  const known = BY_CODE[code];
  if (known) {
    return known;
  }
  // Class 22, data exception: 22021 (NUL / bad encoding), 22P02 (bad text for the type),
  // 22003 (out of range), 22007/22008 (bad date or time), 22001 (too long), ...
  if (code.startsWith('22')) {
    return { status: 422, detail: 'Request data is not correct' };
  }
  return undefined;
}
