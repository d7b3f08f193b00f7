// The browser session (ADR 0005, docs/web.md): the access token lives in this object only,
// never in storage; the refresh token is an HttpOnly cookie the page cannot read, sent only
// to /api/v1/auth/browser/*. A reload restores the session with one refresh call; the token
// is refreshed a minute before it runs out and once more when an API call answers 401.
// Refreshing answers 401/403 when the session ended (signed out elsewhere, archived user):
// then the page is signed out.

export type SessionStatus = 'loading' | 'signedIn' | 'signedOut';

export interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly body: unknown,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

type Fetch = (input: Request) => Promise<Response>;

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const BROWSER_AUTH = '/api/v1/auth/browser';
/** The CSRF defence the server checks on every route that reads the cookie. */
export const CSRF_HEADER = { 'X-CSRF-Protection': '1' } as const;
/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_S = 60;
/** After a failed refresh that was not a "no session" answer (network, 5xx): try again. */
export const RETRY_AFTER_ERROR_MS = 30_000;

export async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON
  }
  const detail =
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { detail?: unknown }).detail === 'string'
      ? (body as { detail: string }).detail
      : response.statusText || `HTTP ${response.status}`;
  return new ApiError(response.status, detail, body);
}

export class Session {
  private token: string | null = null;
  private status: SessionStatus = 'loading';
  private timer: unknown = undefined;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly origin: string;
  private readonly fetchFn: Fetch;
  private readonly timers: Timers;

  constructor(options: { origin: string; fetch?: Fetch; timers?: Timers }) {
    this.origin = options.origin;
    this.fetchFn = options.fetch ?? ((r) => fetch(r));
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
    };
  }

  getStatus = (): SessionStatus => this.status;
  getToken = (): string | null => this.token;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** On page load: the cookie, if any, brings the session back. */
  async restore(): Promise<void> {
    await this.refresh();
  }

  /** One refresh at a time: concurrent callers share it. Resolves true when signed in. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async login(username: string, password: string): Promise<void> {
    const response = await this.post('login', JSON.stringify({ username, password }));
    if (!response.ok) {
      throw await errorFrom(response);
    }
    this.accept((await response.json()) as TokenAnswer);
  }

  /** Revokes the session on the server (its refresh family) and forgets the token. */
  async logout(): Promise<void> {
    try {
      await this.post('logout');
    } finally {
      this.end();
    }
  }

  /**
   * fetch for the API client: adds the access token; on a 401 refreshes once and retries; a
   * 403 "User inactive" (the account was archived) ends the session at once.
   */
  fetch = async (request: Request): Promise<Response> => {
    const retry = request.clone();
    const sentToken = this.token;
    const response = await this.fetchFn(this.withToken(request, sentToken));
    if (response.status === 401 && sentToken !== null) {
      if (await this.refresh()) {
        return this.fetchFn(this.withToken(retry, this.token));
      }
      return response;
    }
    if (response.status === 403 && sentToken !== null) {
      const error = await errorFrom(response.clone());
      if (error.detail === 'User inactive') {
        // The refresh answers 403 too and clears the cookie: the session ends everywhere.
        await this.refresh();
        this.end();
      }
    }
    return response;
  };

  private withToken(request: Request, token: string | null): Request {
    if (token === null) {
      return request;
    }
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${token}`);
    return new Request(request, { headers });
  }

  private post(action: 'login' | 'refresh' | 'logout', body?: string): Promise<Response> {
    const headers: Record<string, string> = { ...CSRF_HEADER };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    return this.fetchFn(
      new Request(`${this.origin}${BROWSER_AUTH}/${action}`, {
        method: 'POST',
        headers,
        credentials: 'same-origin',
        ...(body === undefined ? {} : { body }),
      }),
    );
  }

  private async doRefresh(): Promise<boolean> {
    let response: Response;
    try {
      response = await this.post('refresh');
    } catch {
      return this.refreshFailed();
    }
    if (response.ok) {
      this.accept((await response.json()) as TokenAnswer);
      return true;
    }
    if (response.status === 401 || response.status === 403) {
      this.end();
      return false;
    }
    return this.refreshFailed();
  }

  private refreshFailed(): boolean {
    if (this.status === 'loading') {
      this.setStatus('signedOut');
    } else if (this.token !== null) {
      this.schedule(RETRY_AFTER_ERROR_MS);
    }
    return false;
  }

  private accept(answer: TokenAnswer): void {
    this.token = answer.access_token;
    this.schedule(Math.max(5, answer.expires_in - REFRESH_MARGIN_S) * 1000);
    this.setStatus('signedIn');
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      void this.refresh();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private end(): void {
    this.cancelTimer();
    this.token = null;
    this.setStatus('signedOut');
  }

  private setStatus(status: SessionStatus): void {
    if (this.status !== status || status === 'signedIn') {
      this.status = status;
      for (const l of this.listeners) {
        l();
      }
    }
  }
}
