import { Anchor, Button, Card, Group, Stack, Text } from '@mantine/core';
import { formatDate, useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { Empty, ErrorState, FormError, Loading, LoadMore } from '@/components/PageState';
import { StatusBadge } from '@/components/StatusBadge';
import { useMyApplications, useWithdraw } from '../api/me';

export function MyApplicationsPage() {
  const { t } = useTranslation();
  const list = useMyApplications();
  const withdraw = useWithdraw();
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page title={t('mine.applicationsTitle')}>
      <FormError error={withdraw.error} />
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('mine.applicationsEmpty')}</Empty>
      ) : (
        <Stack component="ul" style={{ listStyle: 'none', padding: 0 }}>
          {items.map((a) => (
            <Card component="li" withBorder key={a.id}>
              <Group justify="space-between" wrap="wrap">
                <Stack gap={2}>
                  <Anchor component={Link} to={`/projects/${a.project_id}`} fw={600}>
                    {a.project_title}
                  </Anchor>
                  <Text size="sm">
                    {t(`role.${a.role}`)} ·{' '}
                    {t('mine.appliedOn', { date: formatDate(a.created_at) })}
                  </Text>
                  {a.reason && <Text size="sm">{t('mine.reason', { reason: a.reason })}</Text>}
                </Stack>
                <Group gap="xs">
                  <StatusBadge status={a.status} />
                  {a.status === 'pending' && (
                    <Button
                      size="xs"
                      variant="default"
                      loading={withdraw.isPending && withdraw.variables === a.id}
                      onClick={() => withdraw.mutate(a.id)}
                    >
                      {t('mine.withdraw')}
                    </Button>
                  )}
                </Group>
              </Group>
            </Card>
          ))}
        </Stack>
      )}
      <LoadMore list={list} />
    </Page>
  );
}
