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

/**
 * The token captured for this path while the app is still on it. A page that mounts again
 * (the shell re-renders when the session settles) gets the same token; another path gets
 * null. The token is single-use on the server, so a repeat only ever reads "already used".
 */
export function fragmentToken(path: string, loc: Location = window.location): string | null {
  if (captured?.path !== path || loc.pathname !== path) {
    return null;
  }
  return captured.token;
}
