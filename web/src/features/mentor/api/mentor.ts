import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import type { ApplicationStatus, ProjectStatus } from '@/lib/api/types';

export function useInbox(id: number, status: ApplicationStatus | undefined) {
  return useInfiniteQuery({
    queryKey: ['project', id, 'applications', status ?? 'all'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/projects/{id}/applications', {
          params: { path: { id }, query: { limit: 20, cursor: pageParam, status } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useDecide(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; status: 'accepted' | 'rejected'; reason?: string }) =>
      unwrap(
        api.POST('/api/v1/applications/{id}/decision', {
          params: { path: { id: v.id } },
          body: { status: v.status, reason: v.reason?.trim() ? v.reason.trim() : null },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['project', projectId] }),
  });
}

export interface ProjectEdit {
  title?: string;
  description?: string;
  tags?: string[];
  developer_slots?: number;
  tester_slots?: number;
  repository_url?: string | null;
  status?: ProjectStatus;
}

export function useEditProject(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ProjectEdit) =>
      unwrap(api.PATCH('/api/v1/projects/{id}', { params: { path: { id } }, body })),
    onSuccess: (project) => {
      qc.setQueryData(['project', id], project);
      void qc.invalidateQueries({ queryKey: ['projects'] });
    },
  });
}

export function useRemoveMember(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: number) =>
      unwrap(
        api.DELETE('/api/v1/projects/{id}/members/{user_id}', {
          params: { path: { id, user_id: userId } },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['project', id] }),
  });
}
