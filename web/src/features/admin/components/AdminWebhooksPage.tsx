import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  MultiSelect,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { formatDate, useTranslation } from '@/lib/i18n';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { Page } from '@/components/Page';
import { Empty, ErrorState, FormError, Loading } from '@/components/PageState';
import { translateRule } from '@/lib/i18n/rules';
import { httpUrl, required } from '@/lib/validation';
import {
  useCreateSubscription,
  useDeleteSubscription,
  useDeliveries,
  useEventTypes,
  usePing,
  useSubscriptions,
} from '../api/webhooks';

function CreateSubscription() {
  const { t } = useTranslation();
  const types = useEventTypes();
  const create = useCreateSubscription();
  const form = useForm({
    initialValues: { url: '', event_types: [] as string[], description: '' },
    validate: {
      url: (v) => translateRule(t, required)(v, null) ?? translateRule(t, httpUrl)(v, null),
      event_types: (v) => (v.length === 0 ? t('valid.required') : null),
    },
  });
  return (
    <Paper withBorder p="md" maw={720} component="section">
      <form
        noValidate
        onSubmit={form.onSubmit((v) => create.mutate(v, { onSuccess: () => form.reset() }))}
      >
        <Stack>
          <TextInput label={t('admin.webhookUrl')} type="url" {...form.getInputProps('url')} />
          <MultiSelect
            label={t('admin.eventTypes')}
            data={types.data?.items.map((e) => e.type) ?? []}
            searchable
            {...form.getInputProps('event_types')}
          />
          <FormError error={create.error ?? types.error} />
          {create.data?.secret && (
            <Alert color="yellow" role="status">
              {t('admin.secretOnce', { secret: '' })}
              <Code>{create.data.secret}</Code>
            </Alert>
          )}
          <Button type="submit" w="fit-content" loading={create.isPending}>
            {t('admin.webhookCreate')}
          </Button>
        </Stack>
      </form>
    </Paper>
  );
}

function Deliveries({ id }: { id: number }) {
  const { t } = useTranslation();
  const deliveries = useDeliveries(id);
  if (deliveries.isPending) {
    return <Loading />;
  }
  if (deliveries.isError) {
    return <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />;
  }
  if (deliveries.data.items.length === 0) {
    return <Empty>{t('admin.deliveriesEmpty')}</Empty>;
  }
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>id</Table.Th>
            <Table.Th>{t('admin.eventTypes')}</Table.Th>
            <Table.Th>{t('manage.statusTitle')}</Table.Th>
            <Table.Th>HTTP</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {deliveries.data.items.map((d) => (
            <Table.Tr key={d.id}>
              <Table.Td>{d.id}</Table.Td>
              <Table.Td>{d.event_type}</Table.Td>
              <Table.Td>{d.status}</Table.Td>
              <Table.Td>
                {d.attempts.map((a) => a.status_code ?? a.error ?? '—').join(', ')}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function AdminWebhooksPage() {
  const { t } = useTranslation();
  const subs = useSubscriptions();
  const remove = useDeleteSubscription();
  const ping = usePing();
  const [open, setOpen] = useState<number | null>(null);
  return (
    <Page title={t('admin.webhooksTitle')}>
      <CreateSubscription />
      <FormError error={remove.error ?? ping.error} />
      {subs.isPending ? (
        <Loading />
      ) : subs.isError ? (
        <ErrorState error={subs.error} onRetry={() => void subs.refetch()} />
      ) : subs.data.items.length === 0 ? (
        <Empty>{t('admin.webhooksEmpty')}</Empty>
      ) : (
        <Stack component="ul" style={{ listStyle: 'none', padding: 0 }}>
          {subs.data.items.map((s) => (
            <Paper component="li" withBorder p="md" key={s.id}>
              <Stack gap="xs">
                <Group justify="space-between" wrap="wrap">
                  <Title order={2} size="h5" style={{ overflowWrap: 'anywhere' }}>
                    {s.url}
                  </Title>
                  <Badge color={s.is_active ? 'teal' : 'red'}>
                    {s.is_active ? t('admin.active') : t('admin.disabled')}
                  </Badge>
                </Group>
                <Text size="sm">{s.event_types.join(', ')}</Text>
                {s.disabled_reason && <Text size="sm">{s.disabled_reason}</Text>}
                <Text size="xs" c="dimmed">
                  {formatDate(s.created_at)}
                </Text>
                <Group gap="xs">
                  <Button
                    size="xs"
                    variant="light"
                    onClick={() => setOpen(open === s.id ? null : s.id)}
                  >
                    {t('admin.deliveries')}
                  </Button>
                  <Button size="xs" variant="default" onClick={() => ping.mutate(s.id)}>
                    {t('admin.ping')}
                  </Button>
                  <Button
                    size="xs"
                    color="red"
                    variant="subtle"
                    onClick={() => remove.mutate(s.id)}
                  >
                    {t('admin.delete')}
                  </Button>
                </Group>
                {open === s.id && <Deliveries id={s.id} />}
              </Stack>
            </Paper>
          ))}
        </Stack>
      )}
    </Page>
  );
}
