import {
  Anchor,
  Button,
  Group,
  NumberInput,
  Paper,
  Stack,
  Switch,
  Table,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { Done, Empty, ErrorState, FormError, Loading, LoadMore } from '@/components/PageState';
import { StatusBadge } from '@/components/StatusBadge';
import type { Project } from '@/lib/api/types';
import { translateRule } from '@/lib/i18n/rules';
import { required } from '@/lib/validation';
import {
  useAdminProjects,
  useAppointMentor,
  useCreateProject,
  useProjectAction,
} from '../api/admin';

function CreateProject() {
  const { t } = useTranslation();
  const create = useCreateProject();
  const form = useForm({
    initialValues: { title: '', description: '', tags: '', developer_slots: 2, tester_slots: 1 },
    validate: { title: translateRule(t, required) },
  });
  return (
    <Paper withBorder p="md" component="section" maw={720}>
      <Title order={2} size="h4" mb="sm">
        {t('admin.create')}
      </Title>
      <form
        noValidate
        onSubmit={form.onSubmit((v) =>
          create.mutate(
            {
              ...v,
              tags: v.tags
                .split(',')
                .map((s) => s.trim().toLowerCase())
                .filter(Boolean),
            },
            { onSuccess: () => form.reset() },
          ),
        )}
      >
        <Stack>
          <TextInput label={t('manage.projectTitle')} {...form.getInputProps('title')} />
          <Textarea
            label={t('manage.description')}
            autosize
            minRows={3}
            {...form.getInputProps('description')}
          />
          <TextInput
            label={t('manage.tags')}
            placeholder="typescript, postgresql"
            {...form.getInputProps('tags')}
          />
          <Group grow>
            <NumberInput
              label={t('manage.developerSlots')}
              min={0}
              max={1000}
              {...form.getInputProps('developer_slots')}
            />
            <NumberInput
              label={t('manage.testerSlots')}
              min={0}
              max={1000}
              {...form.getInputProps('tester_slots')}
            />
          </Group>
          <FormError error={create.error} />
          {create.isSuccess && <Done>{t('admin.created')}</Done>}
          <Button type="submit" w="fit-content" loading={create.isPending}>
            {t('admin.createSubmit')}
          </Button>
        </Stack>
      </form>
    </Paper>
  );
}

function Appoint({ project }: { project: Project }) {
  const { t } = useTranslation();
  const appoint = useAppointMentor();
  const [userId, setUserId] = useState<string | number>('');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const n = Number(userId);
        if (Number.isSafeInteger(n) && n > 0) {
          appoint.mutate({ id: project.id, userId: n });
        }
      }}
    >
      <Group gap={4} wrap="nowrap" align="flex-end">
        <NumberInput
          size="xs"
          w={110}
          min={1}
          label={t('admin.mentorId')}
          value={userId}
          onChange={setUserId}
        />
        <Button size="xs" type="submit" variant="light" loading={appoint.isPending}>
          {t('admin.appointSubmit')}
        </Button>
      </Group>
      {appoint.isSuccess && <Done>{t('admin.appointed')}</Done>}
      <FormError error={appoint.error} />
    </form>
  );
}

export function AdminProjectsPage() {
  const { t } = useTranslation();
  const [archived, setArchived] = useState(false);
  const projects = useAdminProjects(archived);
  const action = useProjectAction();
  const items = projects.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page title={t('admin.projectsTitle')}>
      <CreateProject />
      <Switch
        label={t('admin.showArchived')}
        checked={archived}
        onChange={(e) => setArchived(e.currentTarget.checked)}
      />
      <FormError error={action.error} />
      {projects.isPending ? (
        <Loading />
      ) : projects.isError ? (
        <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('admin.projectsEmpty')}</Empty>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table striped verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('manage.projectTitle')}</Table.Th>
                <Table.Th>{t('manage.statusTitle')}</Table.Th>
                <Table.Th>{t('admin.appoint')}</Table.Th>
                <Table.Th>{t('admin.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((p) => (
                <Table.Tr key={p.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${p.id}/manage`}>
                      {p.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={p.status} />
                  </Table.Td>
                  <Table.Td>{p.is_active && <Appoint project={p} />}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="light"
                      color={p.is_active ? 'red' : 'indigo'}
                      aria-label={`${p.is_active ? t('admin.archive') : t('admin.restore')}: ${p.title}`}
                      onClick={() =>
                        action.mutate({ id: p.id, action: p.is_active ? 'archive' : 'restore' })
                      }
                    >
                      {p.is_active ? t('admin.archive') : t('admin.restore')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <LoadMore list={projects} />
    </Page>
  );
}
