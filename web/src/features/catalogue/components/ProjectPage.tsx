import { Anchor, Badge, Button, Group, List, Paper, Stack, Text, Title } from '@mantine/core';
import { formatDate, useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { ErrorState, Loading, NotFound } from '@/components/PageState';
import { StatusBadge } from '@/components/StatusBadge';
import { useMe, useSessionStatus } from '@/lib/session/hooks';
import { useMembers, useProject } from '@/lib/api/projects';
import { placesLeft } from '../api/projects';
import { useIdParam } from '@/lib/useIdParam';

export function ProjectPage() {
  const id = useIdParam();
  return id === null ? <NotFound /> : <ProjectView id={id} />;
}

function ProjectView({ id }: { id: number }) {
  const { t } = useTranslation();
  const project = useProject(id);
  const members = useMembers(id);
  const status = useSessionStatus();
  const me = useMe();
  if (project.isPending) {
    return <Loading />;
  }
  if (project.isError) {
    return <ErrorState error={project.error} onRetry={() => void project.refetch()} />;
  }
  const p = project.data;
  const left = placesLeft(p);
  const mentors = members.data?.items.filter((m) => m.role === 'mentor') ?? [];
  const myRole = members.data?.items.find((m) => m.user_id === me.data?.id)?.role;
  const canManage = me.data?.is_superuser === true || myRole === 'mentor';
  const canApply = p.status === 'recruiting' && myRole === undefined;

  return (
    <Page title={p.title}>
      <Group gap="xs">
        <StatusBadge status={p.status} />
        {!p.is_active && <Badge color="red">{t('project.archived')}</Badge>}
        {(p.starts_on || p.ends_on) && (
          <Text size="sm" c="dimmed">
            {t('catalogue.dates', { from: formatDate(p.starts_on), to: formatDate(p.ends_on) })}
          </Text>
        )}
      </Group>
      <Group gap="sm">
        {canApply &&
          (status === 'signedIn' ? (
            <Button component={Link} to={`/projects/${id}/apply`}>
              {t('project.apply')}
            </Button>
          ) : status === 'signedOut' ? (
            <Button component={Link} to={`/signin?next=/projects/${id}/apply`} variant="light">
              {t('project.signInToApply')}
            </Button>
          ) : null)}
        {canManage && (
          <>
            <Button component={Link} to={`/projects/${id}/applications`} variant="light">
              {t('project.inbox')}
            </Button>
            <Button component={Link} to={`/projects/${id}/manage`} variant="default">
              {t('project.manage')}
            </Button>
          </>
        )}
      </Group>
      {p.status !== 'recruiting' && <Text size="sm">{t('project.notRecruiting')}</Text>}
      <Paper withBorder p="md">
        <Stack gap="sm">
          <Title order={2} size="h4">
            {t('project.description')}
          </Title>
          <Text style={{ whiteSpace: 'pre-wrap' }}>{p.description}</Text>
          {p.repository_url && (
            <Text size="sm">
              {t('project.repository')}:{' '}
              <Anchor href={p.repository_url} rel="noreferrer noopener" target="_blank">
                {p.repository_url}
              </Anchor>
            </Text>
          )}
        </Stack>
      </Paper>
      <Group align="flex-start" grow preventGrowOverflow={false} wrap="wrap">
        <Paper withBorder p="md" miw={240}>
          <Title order={2} size="h4" mb="xs">
            {t('project.stack')}
          </Title>
          <Group gap={4}>
            {p.tags.map((tag) => (
              <Badge key={tag} variant="outline" color="gray" tt="none">
                {tag}
              </Badge>
            ))}
          </Group>
        </Paper>
        <Paper withBorder p="md" miw={240}>
          <Title order={2} size="h4" mb="xs">
            {t('project.places')}
          </Title>
          <Text size="sm">
            {t('project.developers', { left: left.developers, total: p.developer_slots })}
          </Text>
          <Text size="sm">
            {t('project.testers', { left: left.testers, total: p.tester_slots })}
          </Text>
        </Paper>
        <Paper withBorder p="md" miw={240}>
          <Title order={2} size="h4" mb="xs">
            {t('project.mentors')}
          </Title>
          {members.isPending ? (
            <Loading />
          ) : members.isError ? (
            <ErrorState error={members.error} />
          ) : mentors.length === 0 ? (
            <Text size="sm">{t('project.noMentors')}</Text>
          ) : (
            <List size="sm">
              {mentors.map((m) => (
                <List.Item key={m.user_id}>{m.username}</List.Item>
              ))}
            </List>
          )}
        </Paper>
      </Group>
      <Anchor component={Link} to="/">
        ← {t('project.back')}
      </Anchor>
    </Page>
  );
}
