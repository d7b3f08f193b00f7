import { Badge, Button, Group, Stack, Text } from '@mantine/core';
import { Done, ErrorState, FormError, Loading } from '@/components/PageState';
import { formatDateTime, useTranslation } from '@/lib/i18n';
import { useEndOtherSessions, useEndSession, useMySessions } from '../api/me';
import { Section } from '@/components/Section';

/** The user's signed-in sessions (issue 12): end one, or all but this page's. */
export function Sessions() {
  const { t } = useTranslation();
  const sessions = useMySessions();
  const end = useEndSession();
  const endOthers = useEndOtherSessions();
  let body;
  if (sessions.isPending) {
    body = <Loading />;
  } else if (sessions.isError) {
    body = <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} />;
  } else {
    const items = sessions.data.items;
    body = (
      <Stack gap="sm">
        <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {items.map((s) => (
            <Group key={s.id} component="li" justify="space-between" wrap="nowrap">
              <Stack gap={2}>
                <Group gap="xs">
                  <Text size="sm" fw={500}>
                    {s.user_agent ?? t('me.sessionUnknownClient')}
                  </Text>
                  {s.current && <Badge color="teal">{t('me.sessionThis')}</Badge>}
                </Group>
                <Text size="xs" c="dimmed">
                  {t('me.sessionDetails', {
                    started: formatDateTime(s.created_at),
                    lastUsed: formatDateTime(s.last_used_at),
                    ip: s.ip ?? '—',
                  })}
                </Text>
              </Stack>
              {!s.current && (
                <Button
                  size="xs"
                  variant="default"
                  loading={end.isPending && end.variables === s.id}
                  onClick={() => end.mutate(s.id)}
                >
                  {t('me.sessionEnd')}
                </Button>
              )}
            </Group>
          ))}
        </Stack>
        <FormError error={end.error ?? endOthers.error} />
        {endOthers.isSuccess && (
          <Done>{t('me.sessionsOthersEnded', { count: endOthers.data.revoked })}</Done>
        )}
        {items.some((s) => !s.current) && (
          <Button
            color="red"
            variant="light"
            w="fit-content"
            loading={endOthers.isPending}
            onClick={() => endOthers.mutate()}
          >
            {t('me.sessionsEndOthers')}
          </Button>
        )}
      </Stack>
    );
  }
  return (
    <Section maw={560} title={t('me.sessionsTitle')}>
      <Text size="sm">{t('me.sessionsHint')}</Text>
      {body}
    </Section>
  );
}
