// The project reads more than one feature shows (the catalogue's project page, a mentor's
// inbox and management page): one hook and one cache key each, so a project fetched on one
// page is fresh on the next and a mutation that invalidates ['project', id] reaches them all.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './client';

export function useProject(id: number) {
  return useQuery({
    queryKey: ['project', id],
    queryFn: () => unwrap(api.GET('/api/v1/projects/{id}', { params: { path: { id } } })),
  });
}

export function useMembers(id: number) {
  return useQuery({
    queryKey: ['project', id, 'members'],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{id}/members', {
          params: { path: { id }, query: { limit: 100 } },
        }),
      ),
  });
}
