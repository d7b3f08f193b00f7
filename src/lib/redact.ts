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
