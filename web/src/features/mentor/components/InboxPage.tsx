import { Anchor, Button, Card, Group, Modal, Select, Stack, Text, Textarea } from '@mantine/core';
import { formatDate, useTranslation } from '@/lib/i18n';
import { useState } from 'react';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import {
  Done,
  Empty,
  ErrorState,
  FormError,
  Loading,
  NotFound,
  LoadMore,
} from '@/components/PageState';
import { StatusBadge } from '@/components/StatusBadge';
import type { Application, ApplicationStatus } from '@/lib/api/types';
import { useIdParam } from '@/lib/useIdParam';
import { useProject } from '@/lib/api/projects';
import { useDecide, useInbox } from '../api/mentor';

const STATUSES: ApplicationStatus[] = ['pending', 'accepted', 'rejected', 'withdrawn'];

export function InboxPage() {
  const id = useIdParam();
  return id === null ? <NotFound /> : <Inbox id={id} />;
}

function Inbox({ id }: { id: number }) {
  const { t } = useTranslation();
  const project = useProject(id);
  const [status, setStatus] = useState<ApplicationStatus | undefined>('pending');
  const inbox = useInbox(id, status);
  const decide = useDecide(id);
  const [rejecting, setRejecting] = useState<Application | null>(null);
  const [reason, setReason] = useState('');
  const items = inbox.data?.pages.flatMap((p) => p.items) ?? [];

  if (project.isError) {
    return <ErrorState error={project.error} />;
  }
  return (
    <Page title={t('inbox.title', { title: project.data?.title ?? '…' })}>
      <Anchor component={Link} to={`/projects/${id}`}>
        ← {project.data?.title}
      </Anchor>
      <Select
        label={t('inbox.filter')}
        maw={240}
        value={status ?? 'all'}
        onChange={(v) => setStatus(v && v !== 'all' ? v : undefined)}
        allowDeselect={false}
        data={[
          { value: 'all', label: t('inbox.all') },
          ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
        ]}
      />
      <FormError error={decide.error} />
      {decide.isSuccess && <Done>{t('inbox.decided')}</Done>}
      {inbox.isPending ? (
        <Loading />
      ) : inbox.isError ? (
        <ErrorState error={inbox.error} onRetry={() => void inbox.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('inbox.empty')}</Empty>
      ) : (
        <Stack component="ul" style={{ listStyle: 'none', padding: 0 }}>
          {items.map((a) => (
            <Card component="li" withBorder key={a.id} data-testid={`application-${a.id}`}>
              <Stack gap="xs">
                <Group justify="space-between" wrap="wrap">
                  <Text fw={600}>
                    {t('inbox.from', { username: a.applicant_username, role: t(`role.${a.role}`) })}
                  </Text>
                  <StatusBadge status={a.status} />
                </Group>
                <Text size="sm" c="dimmed">
                  {formatDate(a.created_at)}
                </Text>
                {a.motivation && <Text style={{ whiteSpace: 'pre-wrap' }}>{a.motivation}</Text>}
                {a.reason && <Text size="sm">{t('mine.reason', { reason: a.reason })}</Text>}
                {a.status === 'pending' && (
                  <Group gap="xs">
                    <Button
                      size="xs"
                      color="teal"
                      loading={decide.isPending && decide.variables.id === a.id}
                      onClick={() => decide.mutate({ id: a.id, status: 'accepted' })}
                    >
                      {t('inbox.accept')}
                    </Button>
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      onClick={() => {
                        setReason('');
                        setRejecting(a);
                      }}
                    >
                      {t('inbox.reject')}
                    </Button>
                  </Group>
                )}
              </Stack>
            </Card>
          ))}
        </Stack>
      )}
      <LoadMore list={inbox} />
      <Modal
        opened={rejecting !== null}
        onClose={() => setRejecting(null)}
        title={t('inbox.rejectTitle', { username: rejecting?.applicant_username ?? '' })}
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (rejecting) {
              decide.mutate(
                { id: rejecting.id, status: 'rejected', reason },
                { onSuccess: () => setRejecting(null) },
              );
            }
          }}
        >
          <Stack>
            <Textarea
              label={t('inbox.reason')}
              value={reason}
              maxLength={2000}
              autosize
              minRows={3}
              onChange={(e) => setReason(e.currentTarget.value)}
              data-autofocus
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setRejecting(null)}>
                {t('inbox.cancel')}
              </Button>
              <Button type="submit" color="red" loading={decide.isPending}>
                {t('inbox.confirmReject')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Page>
  );
}
