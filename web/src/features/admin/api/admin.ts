import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';

export type UserFilter = 'active' | 'archived' | 'superusers' | 'everyone';

export function useUsers(q: string, filter: UserFilter) {
  return useInfiniteQuery({
    queryKey: ['admin-users', q, filter],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/users/', {
          params: {
            query: {
              limit: 20,
              cursor: pageParam,
              order_by: 'id',
              direction: 'asc',
              ...(q ? { q } : {}),
              ...(filter === 'active' ? { is_active: true } : {}),
              ...(filter === 'archived' ? { is_active: false } : {}),
              ...(filter === 'superusers' ? { is_superuser: true } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useUserAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({
      id,
      action,
    }: {
      id: number;
      action: 'archive' | 'restore' | 'promote';
    }) => {
      const path = { params: { path: { id } } };
      if (action === 'archive') {
        return unwrap(api.DELETE('/api/v1/users/{id}', path));
      }
      if (action === 'restore') {
        return unwrap(api.POST('/api/v1/users/{id}/restore', path));
      }
      return unwrap(api.PATCH('/api/v1/users/{id}', { ...path, body: { is_superuser: true } }));
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ['admin-users'] }),
  });
}

export function useAdminProjects(archived: boolean) {
  return useInfiniteQuery({
    queryKey: ['projects', 'admin', archived],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/projects/', {
          params: { query: { limit: 20, cursor: pageParam, ...(archived ? { archived } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export interface NewProject {
  title: string;
  description: string;
  tags: string[];
  developer_slots: number;
  tester_slots: number;
}

export function useCreateProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NewProject) => unwrap(api.POST('/api/v1/projects/', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['projects'] }),
  });
}

export function useProjectAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, action }: { id: number; action: 'archive' | 'restore' }) => {
      const path = { params: { path: { id } } };
      return action === 'archive'
        ? unwrap(api.DELETE('/api/v1/projects/{id}', path))
        : unwrap(api.POST('/api/v1/projects/{id}/restore', path));
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ['projects'] }),
  });
}

export function useAppointMentor() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, userId }: { id: number; userId: number }) =>
      unwrap(
        api.POST('/api/v1/projects/{id}/members', {
          params: { path: { id } },
          body: { user_id: userId, role: 'mentor' },
        }),
      ),
    onSuccess: (_d, v) => qc.invalidateQueries({ queryKey: ['project', v.id] }),
  });
}
