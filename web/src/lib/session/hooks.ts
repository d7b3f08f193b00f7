import { useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { api, unwrap } from '@/lib/api/client';
import type { User } from '@/lib/api/types';
import { session } from './instance';
import type { SessionStatus } from './session';

export function useSessionStatus(): SessionStatus {
  return useSyncExternalStore(session.subscribe, session.getStatus);
}

/** How often an open page asks who is signed in: an archived user is signed out within it. */
export const ME_POLL_MS = 10_000;

export const meKey = ['me'] as const;

/** The signed-in user; polled so an archived account's page ends its session. */
export function useMe() {
  const status = useSessionStatus();
  return useQuery({
    queryKey: meKey,
    queryFn: (): Promise<User> => unwrap(api.GET('/api/v1/users/me')),
    enabled: status === 'signedIn',
    refetchInterval: ME_POLL_MS,
    refetchIntervalInBackground: true,
    staleTime: 5_000,
  });
}
