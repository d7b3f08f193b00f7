// The one HTTP layer of the web application: openapi-fetch typed by the generated schema,
// with the session's fetch (access token, refresh on 401). Query hooks in features call it.
import createClient from 'openapi-fetch';
import { ApiError } from '@/lib/session/session';
import { session } from '@/lib/session/instance';
import type { paths } from './schema';

export const api = createClient<paths>({
  baseUrl: window.location.origin,
  fetch: session.fetch,
});

/**
 * Unwraps an openapi-fetch answer: the data, or an ApiError with the server's `detail`
 * (query and mutation hooks throw it, pages show it).
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const detail =
      typeof error === 'object' && error !== null && 'detail' in error
        ? String(error.detail)
        : `HTTP ${response.status}`;
    throw new ApiError(response.status, detail, error);
  }
  return data as T;
}
