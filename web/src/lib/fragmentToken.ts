// Single-use tokens arrive in the URL fragment (`/verify-email#token=…`), which the browser
// never sends to a server. It is read and wiped from the address bar before anything else
// runs (main.tsx calls captureFragmentToken first), so it lands in no history entry, Referer
// or log. The page then asks for it with fragmentToken().
let captured: { path: string; token: string } | null = null;

export function captureFragmentToken(
  loc: Location = window.location,
  hist: History = window.history,
) {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''));
  // A `?token=` link (mails sent before links moved to the fragment) is taken and wiped too.
  const query = new URLSearchParams(loc.search);
  const token = params.get('token') ?? query.get('token');
  if (token) {
    captured = { path: loc.pathname, token };
    query.delete('token');
    const search = query.toString();
    hist.replaceState(hist.state, '', loc.pathname + (search ? `?${search}` : ''));
  }
}

/** The token captured for this path, once: a second call (or another path) gets null. */
export function fragmentToken(path: string): string | null {
  if (captured?.path !== path) {
    return null;
  }
  const { token } = captured;
  captured = null;
  return token;
}
