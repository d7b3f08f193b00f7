// TEMPORARY typed shim for the webhooks routes (issue 9, branch `webhooks`; shapes from the
// WEB-CONTRACT's "Webhooks admin" section). Delete it and use `api` from lib/api/client once
// schema.d.ts is regenerated with those routes.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { session } from '@/lib/session/instance';
import { errorFrom } from '@/lib/session/session';

export interface Subscription {
  id: number;
  url: string;
  description: string;
  event_types: string[];
  is_active: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
  secret?: string;
}
export interface Delivery {
  id: number;
  event_type: string;
  webhook_id: number;
  status: 'pending' | 'delivered' | 'dead';
  created_at: string;
  attempts: { at: string; status_code: number | null; duration_ms: number; error: string | null }[];
}
interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await session.fetch(
    new Request(`${window.location.origin}/api/v1/webhooks${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  if (!response.ok) {
    throw await errorFrom(response);
  }
  return (response.status === 204 ? null : await response.json()) as T;
}

export function useSubscriptions() {
  return useQuery({
    queryKey: ['webhooks'],
    queryFn: () => call<Page<Subscription>>('GET', '/?limit=100'),
  });
}

export function useEventTypes() {
  return useQuery({
    queryKey: ['webhooks', 'event-types'],
    queryFn: () => call<{ items: { type: string; description: string }[] }>('GET', '/event-types'),
  });
}

export function useDeliveries(id: number | null) {
  return useQuery({
    queryKey: ['webhooks', id, 'deliveries'],
    enabled: id !== null,
    queryFn: () => call<Page<Delivery>>('GET', `/${id}/deliveries?limit=50`),
  });
}

export function useCreateSubscription() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { url: string; event_types: string[]; description: string }) =>
      call<Subscription>('POST', '/', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

export function useDeleteSubscription() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => call<null>('DELETE', `/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

export function usePing() {
  return useMutation({ mutationFn: (id: number) => call<unknown>('POST', `/${id}/ping`) });
}
