// Loading, error and empty states every page shows the same way.
import { Alert, Button, Center, Loader, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { ApiError } from '@/lib/session/session';

export function Loading() {
  const { t } = useTranslation();
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Stack align="center" gap="xs">
        <Loader size="sm" aria-hidden />
        <Text size="sm">{t('state.loading')}</Text>
      </Stack>
    </Center>
  );
}

export function errorDetail(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) {
    return error.message;
  }
  return String(error);
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  if (error instanceof ApiError && error.status === 404) {
    return <NotFound />;
  }
  if (error instanceof ApiError && error.status === 403) {
    return (
      <Alert color="red" role="alert" title={t('state.forbidden')}>
        {error.detail}
      </Alert>
    );
  }
  return (
    <Alert color="red" role="alert" title={t('state.error', { detail: errorDetail(error) })}>
      {onRetry && (
        <Button variant="light" color="red" onClick={onRetry} mt="xs">
          {t('state.retry')}
        </Button>
      )}
    </Alert>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" py="lg" ta="center">
      {children}
    </Text>
  );
}

export function NotFound() {
  const { t } = useTranslation();
  return (
    <Stack align="center" py="xl">
      <Text>{t('state.notFound')}</Text>
      <Button component={Link} to="/" variant="light">
        {t('state.home')}
      </Button>
    </Stack>
  );
}

/** An inline form error: the server's detail, in a live region. */
export function FormError({ error }: { error: unknown }) {
  if (!error) {
    return null;
  }
  return (
    <Alert color="red" role="alert">
      {errorDetail(error)}
    </Alert>
  );
}

export function Done({ children }: { children: ReactNode }) {
  return (
    <Alert color="teal" role="status">
      {children}
    </Alert>
  );
}

/** The "load more" button under a paged list: shown while the API has a next page. */
export function LoadMore({
  list,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  const { t } = useTranslation();
  if (!list.hasNextPage) {
    return null;
  }
  return (
    <Button
      variant="light"
      loading={list.isFetchingNextPage}
      onClick={() => void list.fetchNextPage()}
    >
      {t('state.loadMore')}
    </Button>
  );
}
