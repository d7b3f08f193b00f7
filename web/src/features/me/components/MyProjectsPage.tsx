import { Anchor, Button, Card, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { Empty, ErrorState, Loading, LoadMore } from '@/components/PageState';
import { StatusBadge } from '@/components/StatusBadge';
import { useMyProjects } from '../api/me';

export function MyProjectsPage() {
  const { t } = useTranslation();
  const list = useMyProjects();
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page title={t('mine.projectsTitle')}>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('mine.projectsEmpty')}</Empty>
      ) : (
        <Stack component="ul" style={{ listStyle: 'none', padding: 0 }}>
          {items.map((p) => (
            <Card component="li" withBorder key={p.id}>
              <Group justify="space-between" wrap="wrap">
                <Stack gap={2}>
                  <Anchor component={Link} to={`/projects/${p.id}`} fw={600}>
                    {p.title}
                  </Anchor>
                  <Text size="sm">{t('mine.yourRole', { role: t(`role.${p.role}`) })}</Text>
                </Stack>
                <Group gap="xs">
                  <StatusBadge status={p.status} />
                  {p.role === 'mentor' && (
                    <Button
                      size="xs"
                      variant="light"
                      component={Link}
                      to={`/projects/${p.id}/applications`}
                    >
                      {t('project.inbox')}
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
