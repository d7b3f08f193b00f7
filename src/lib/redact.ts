/** A connection URL with its password replaced, for logs and messages (S14). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') {
      u.password = '***';
    }
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

/** Query parameters whose value is a credential or a single-use token (S18). */
const SECRET_QUERY_PARAM = /^(?:token|access_token|refresh_token|code|key|secret|password)$/i;

/**
 * A request path for the log with the value of every token-like query parameter replaced.
 * The mail links carry their token in the fragment, which never reaches the server; this
 * also covers old `?token=` links and clients that put a token in a query anyway.
 */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) {
    return url;
  }
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      let name = eq === -1 ? pair : pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A malformed escape: judge the raw name.
      }
      return eq !== -1 && SECRET_QUERY_PARAM.test(name.trim())
        ? `${pair.slice(0, eq)}=[redacted]`
        : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}
