import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import type { Locale } from '@/lib/api/types';
import { meKey } from '@/lib/session/hooks';
import { session } from '@/lib/session/instance';

type MePatch = { username?: string; email?: string; current_password?: string; locale?: Locale };

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: MePatch) => unwrap(api.PATCH('/api/v1/users/me', { body })),
    onSuccess: (user) => qc.setQueryData(meKey, user),
  });
}

export function useChangePassword(username: string) {
  return useMutation({
    mutationFn: async (body: {
      current_password: string;
      new_password: string;
      new_password_confirm: string;
    }) => {
      await unwrap(api.POST('/api/v1/users/me/password', { body }));
      // A password change ends the account's other sessions, this page's cookie among them:
      // sign in again with the new password so the page stays signed in.
      await session.login(username, body.new_password);
    },
  });
}

export function useResendVerification() {
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/users/verify-email/resend')),
  });
}

export function useArchiveMe() {
  return useMutation({
    mutationFn: async (current_password: string) => {
      await unwrap(api.DELETE('/api/v1/users/me', { body: { current_password } }));
      await session.logout();
    },
  });
}

export function useMyApplications() {
  return useInfiniteQuery({
    queryKey: ['my-applications'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/users/me/applications', {
          params: { query: { limit: 20, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useWithdraw() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST('/api/v1/applications/{id}/withdraw', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['my-applications'] }),
  });
}

export function useMyProjects() {
  return useInfiniteQuery({
    queryKey: ['my-projects'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/users/me/projects', {
          params: { query: { limit: 20, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

const sessionsKey = ['my-sessions'];

/** Where the user is signed in (issue 12); `current` marks this page's own session. */
export function useMySessions() {
  return useQuery({
    queryKey: sessionsKey,
    queryFn: () => unwrap(api.GET('/api/v1/users/me/sessions')),
  });
}

export function useEndSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (sessionId: string) =>
      unwrap(
        api.DELETE('/api/v1/users/me/sessions/{sessionId}', {
          params: { path: { sessionId } },
        }),
      ),
    onSettled: () => qc.invalidateQueries({ queryKey: sessionsKey }),
  });
}

export function useEndOtherSessions() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/users/me/sessions/revoke-others')),
    onSettled: () => qc.invalidateQueries({ queryKey: sessionsKey }),
  });
}
