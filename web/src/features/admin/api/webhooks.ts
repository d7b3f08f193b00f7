// Webhook subscriptions and their delivery log (issue 9), superusers only: the generated
// client against the service's own routes, like every other feature.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import type { paths } from '@/lib/api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type Subscription = Json<
  paths['/api/v1/webhooks/']['get']['responses'][200]
>['items'][number];
export type Delivery = Json<
  paths['/api/v1/webhooks/{id}/deliveries']['get']['responses'][200]
>['items'][number];

export function useSubscriptions() {
  return useQuery({
    queryKey: ['webhooks'],
    queryFn: () => unwrap(api.GET('/api/v1/webhooks/', { params: { query: { limit: 100 } } })),
  });
}

export function useEventTypes() {
  return useQuery({
    queryKey: ['webhooks', 'event-types'],
    queryFn: () => unwrap(api.GET('/api/v1/webhooks/event-types')),
  });
}

export function useDeliveries(id: number | null) {
  return useQuery({
    queryKey: ['webhooks', id, 'deliveries'],
    enabled: id !== null,
    // Deliveries still being attempted settle in the background: look again until none is.
    refetchInterval: (query) =>
      query.state.data?.items.some((d) => d.status === 'pending') ? 2000 : false,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/webhooks/{id}/deliveries', {
          params: { path: { id: id ?? 0 }, query: { limit: 50 } },
        }),
      ),
  });
}

export function useCreateSubscription() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { url: string; event_types: string[]; description: string }) =>
      unwrap(api.POST('/api/v1/webhooks/', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

export function useDeleteSubscription() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['webhooks'] }),
  });
}

export function usePing() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST('/api/v1/webhooks/{id}/ping', { params: { path: { id } } })),
    // The ping is delivered in the background: the log shows it when next read.
    onSuccess: (_data, id) => qc.invalidateQueries({ queryKey: ['webhooks', id, 'deliveries'] }),
  });
}
