import { Badge, Button, Group, Select, SimpleGrid, Table, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from '@/lib/i18n';
import { Page } from '@/components/Page';
import { Empty, ErrorState, FormError, Loading, LoadMore } from '@/components/PageState';
import { useUserAction, useUsers, type UserFilter } from '../api/admin';

export function AdminUsersPage() {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [debouncedQ] = useDebouncedValue(q.trim(), 300);
  const [filter, setFilter] = useState<UserFilter>('everyone');
  const users = useUsers(debouncedQ, filter);
  const action = useUserAction();
  const items = users.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page title={t('admin.usersTitle')}>
      <SimpleGrid cols={{ base: 1, sm: 2 }} maw={720}>
        <TextInput
          type="search"
          label={t('admin.search')}
          value={q}
          onChange={(e) => setQ(e.currentTarget.value)}
        />
        <Select
          label={t('admin.show')}
          value={filter}
          allowDeselect={false}
          onChange={(v) => setFilter(v ?? 'everyone')}
          data={[
            { value: 'everyone', label: t('admin.everyone') },
            { value: 'active', label: t('admin.activeUsers') },
            { value: 'archived', label: t('admin.archivedUsers') },
            { value: 'superusers', label: t('admin.superusers') },
          ]}
        />
      </SimpleGrid>
      <FormError error={action.error} />
      {users.isPending ? (
        <Loading />
      ) : users.isError ? (
        <ErrorState error={users.error} onRetry={() => void users.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('admin.usersEmpty')}</Empty>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>id</Table.Th>
                <Table.Th>{t('field.username')}</Table.Th>
                <Table.Th>{t('field.email')}</Table.Th>
                <Table.Th>{t('admin.flags')}</Table.Th>
                <Table.Th>{t('admin.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((u) => (
                <Table.Tr key={u.id} data-testid={`user-${u.username}`}>
                  <Table.Td>{u.id}</Table.Td>
                  <Table.Td>{u.username}</Table.Td>
                  <Table.Td>{u.email}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {u.is_superuser && <Badge>{t('admin.superuser')}</Badge>}
                      {!u.is_active && <Badge color="red">{t('admin.archivedBadge')}</Badge>}
                      {!u.email_verified && <Badge color="gray">{t('admin.unverified')}</Badge>}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      {u.is_active ? (
                        <Button
                          size="xs"
                          color="red"
                          variant="light"
                          aria-label={`${t('admin.archive')}: ${u.username}`}
                          onClick={() => action.mutate({ id: u.id, action: 'archive' })}
                        >
                          {t('admin.archive')}
                        </Button>
                      ) : (
                        <Button
                          size="xs"
                          variant="light"
                          aria-label={`${t('admin.restore')}: ${u.username}`}
                          onClick={() => action.mutate({ id: u.id, action: 'restore' })}
                        >
                          {t('admin.restore')}
                        </Button>
                      )}
                      {!u.is_superuser && u.is_active && (
                        <Button
                          size="xs"
                          variant="default"
                          aria-label={`${t('admin.promote')}: ${u.username}`}
                          onClick={() => action.mutate({ id: u.id, action: 'promote' })}
                        >
                          {t('admin.promote')}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <LoadMore list={users} />
    </Page>
  );
}
