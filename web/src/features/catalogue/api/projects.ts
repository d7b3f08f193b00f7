import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import type { PlaceRole, Project, ProjectStatus } from '@/lib/api/types';

export interface CatalogueFilters {
  status?: ProjectStatus;
  tag?: string;
  q?: string;
}

export const PAGE_SIZE = 12;

/** The catalogue: keyset pages, "load more" fetches the page after the last cursor. */
export function useCatalogue(filters: CatalogueFilters) {
  return useInfiniteQuery({
    queryKey: ['projects', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/projects/', {
          params: { query: { ...filters, limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useApply(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { role: PlaceRole; motivation: string }) =>
      unwrap(api.POST('/api/v1/projects/{id}/applications', { params: { path: { id } }, body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['my-applications'] }),
  });
}

export function placesLeft(p: Project) {
  return {
    developers: Math.max(0, p.developer_slots - p.developers_count),
    testers: Math.max(0, p.tester_slots - p.testers_count),
  };
}
