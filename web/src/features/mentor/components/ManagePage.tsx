import {
  Anchor,
  Button,
  Group,
  NumberInput,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  VisuallyHidden,
} from '@mantine/core';
import { formatDate, useTranslation } from '@/lib/i18n';
import { useForm } from '@mantine/form';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { Section } from '@/components/Section';
import { Done, Empty, ErrorState, FormError, Loading, NotFound } from '@/components/PageState';
import { StatusBadge } from '@/components/StatusBadge';
import { NEXT_STATUS, type Project } from '@/lib/api/types';
import { translateRule } from '@/lib/i18n/rules';
import { useMe } from '@/lib/session/hooks';
import { useIdParam } from '@/lib/useIdParam';
import { httpUrl, required } from '@/lib/validation';
import { useMembers, useProject } from '@/lib/api/projects';
import { useEditProject, useRemoveMember, type ProjectEdit } from '../api/mentor';

export function ManagePage() {
  const id = useIdParam();
  return id === null ? <NotFound /> : <Manage id={id} />;
}

function Manage({ id }: { id: number }) {
  const { t } = useTranslation();
  const project = useProject(id);
  if (project.isPending) {
    return <Loading />;
  }
  if (project.isError) {
    return <ErrorState error={project.error} onRetry={() => void project.refetch()} />;
  }
  const p = project.data;
  return (
    <Page title={t('manage.title', { title: p.title })}>
      <Anchor component={Link} to={`/projects/${id}`}>
        ← {p.title}
      </Anchor>
      <StatusSection project={p} />
      <EditSection project={p} />
      <MembersSection id={id} />
    </Page>
  );
}

function StatusSection({ project }: { project: Project }) {
  const { t } = useTranslation();
  const edit = useEditProject(project.id);
  const next = NEXT_STATUS[project.status];
  return (
    <Section title={t('manage.statusTitle')}>
      <Group gap="xs">
        <Text>{t('manage.currentStatus', { status: '' })}</Text>
        <StatusBadge status={project.status} />
      </Group>
      {next ? (
        <Button
          w="fit-content"
          loading={edit.isPending}
          onClick={() => edit.mutate({ status: next })}
        >
          {t('manage.moveTo', { status: t(`status.${next}`) })}
        </Button>
      ) : (
        <Text size="sm">{t('manage.finalStatus')}</Text>
      )}
      <FormError error={edit.error} />
    </Section>
  );
}

function EditSection({ project }: { project: Project }) {
  const { t } = useTranslation();
  const me = useMe();
  const edit = useEditProject(project.id);
  // Mentors may change the description; superusers every field (docs/domain.md).
  const full = me.data?.is_superuser === true;
  const form = useForm({
    initialValues: {
      title: project.title,
      description: project.description,
      tags: project.tags.join(', '),
      developer_slots: project.developer_slots,
      tester_slots: project.tester_slots,
      repository_url: project.repository_url ?? '',
    },
    validate: { title: translateRule(t, required), repository_url: translateRule(t, httpUrl) },
  });
  return (
    <Section title={t('manage.edit')}>
      <form
        noValidate
        onSubmit={form.onSubmit((v) => {
          const body: ProjectEdit = { description: v.description };
          if (full) {
            Object.assign(body, {
              title: v.title,
              tags: v.tags
                .split(',')
                .map((s) => s.trim().toLowerCase())
                .filter(Boolean),
              developer_slots: v.developer_slots,
              tester_slots: v.tester_slots,
              repository_url: v.repository_url.trim() || null,
            });
          }
          edit.mutate(body);
        })}
      >
        <Stack>
          {full && <TextInput label={t('manage.projectTitle')} {...form.getInputProps('title')} />}
          <Textarea
            label={t('manage.description')}
            autosize
            minRows={4}
            maxLength={20000}
            {...form.getInputProps('description')}
          />
          {full && (
            <>
              <TextInput label={t('manage.tags')} {...form.getInputProps('tags')} />
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
              <TextInput
                label={t('manage.repository')}
                type="url"
                {...form.getInputProps('repository_url')}
              />
            </>
          )}
          <FormError error={edit.error} />
          {edit.isSuccess && <Done>{t('state.saved')}</Done>}
          <Button type="submit" w="fit-content" loading={edit.isPending}>
            {t('manage.save')}
          </Button>
        </Stack>
      </form>
    </Section>
  );
}

function MembersSection({ id }: { id: number }) {
  const { t } = useTranslation();
  const members = useMembers(id);
  const remove = useRemoveMember(id);
  return (
    <Section title={t('manage.members')}>
      {members.isPending ? (
        <Loading />
      ) : members.isError ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : members.data.items.length === 0 ? (
        <Empty>{t('manage.membersEmpty')}</Empty>
      ) : (
        <Table.ScrollContainer minWidth={360}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('field.username')}</Table.Th>
                <Table.Th>{t('apply.role')}</Table.Th>
                <Table.Th>{t('manage.joined')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('manage.remove')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.data.items.map((m) => (
                <Table.Tr key={m.user_id}>
                  <Table.Td>{m.username}</Table.Td>
                  <Table.Td>{t(`role.${m.role}`)}</Table.Td>
                  <Table.Td>{formatDate(m.joined_at)}</Table.Td>
                  <Table.Td>
                    {m.role !== 'mentor' && (
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        aria-label={t('manage.removeMember', { username: m.username })}
                        loading={remove.isPending && remove.variables === m.user_id}
                        onClick={() => remove.mutate(m.user_id)}
                      >
                        {t('manage.remove')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <FormError error={remove.error} />
    </Section>
  );
}
