import {
  Badge,
  Card,
  Group,
  NativeSelect,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from '@/lib/i18n';
import { Link, useSearchParams } from 'react-router';
import { Page } from '@/components/Page';
import { Empty, ErrorState, Loading, LoadMore } from '@/components/PageState';
import { StatusBadge } from '@/components/StatusBadge';
import { PROJECT_STATUSES, type Project, type ProjectStatus } from '@/lib/api/types';
import { placesLeft, useCatalogue, type CatalogueFilters } from '../api/projects';

function ProjectCard({ project }: { project: Project }) {
  const { t } = useTranslation();
  const left = placesLeft(project);
  return (
    <Card withBorder padding="md" component="article">
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Title order={2} size="h4">
            <Link to={`/projects/${project.id}`} className="card-link">
              {project.title}
            </Link>
          </Title>
          <StatusBadge status={project.status} />
        </Group>
        <Text size="sm" lineClamp={3}>
          {project.description}
        </Text>
        <Group gap={4}>
          {project.tags.map((tag) => (
            <Badge key={tag} variant="outline" color="gray" tt="none">
              {tag}
            </Badge>
          ))}
        </Group>
        <Text size="sm" c="dimmed">
          {t('catalogue.placesLeft', left)}
        </Text>
      </Stack>
    </Card>
  );
}

export function CataloguePage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const status = params.get('status');
  const tag = params.get('tag') ?? '';
  const [q, setQ] = useState(params.get('q') ?? '');
  const [debouncedQ] = useDebouncedValue(q.trim(), 300);
  const qTooShort = debouncedQ.length > 0 && debouncedQ.length < 3;
  const filters: CatalogueFilters = {
    ...(status && (PROJECT_STATUSES as string[]).includes(status)
      ? { status: status as ProjectStatus }
      : {}),
    ...(tag.trim() ? { tag: tag.trim().toLowerCase() } : {}),
    ...(debouncedQ.length >= 3 ? { q: debouncedQ } : {}),
  };
  const catalogue = useCatalogue(filters);

  const setParam = (name: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) {
      next.set(name, value);
    } else {
      next.delete(name);
    }
    setParams(next, { replace: true });
  };

  const items = catalogue.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page title={t('catalogue.title')}>
      <Text>{t('catalogue.intro')}</Text>
      <form role="search" aria-label={t('catalogue.filters')} onSubmit={(e) => e.preventDefault()}>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput
            label={t('catalogue.search')}
            type="search"
            value={q}
            onChange={(e) => {
              setQ(e.currentTarget.value);
              setParam('q', e.currentTarget.value.trim() || null);
            }}
            error={qTooShort ? t('valid.search') : undefined}
          />
          <NativeSelect
            label={t('catalogue.status')}
            value={filters.status ?? ''}
            onChange={(e) => setParam('status', e.currentTarget.value || null)}
            data={[
              { value: '', label: t('catalogue.anyStatus') },
              ...PROJECT_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
            ]}
          />
          <TextInput
            label={t('catalogue.tag')}
            placeholder="typescript"
            value={tag}
            onChange={(e) => setParam('tag', e.currentTarget.value || null)}
          />
        </SimpleGrid>
      </form>
      {catalogue.isPending ? (
        <Loading />
      ) : catalogue.isError ? (
        <ErrorState error={catalogue.error} onRetry={() => void catalogue.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('catalogue.empty')}</Empty>
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} component="section" aria-live="polite">
            {items.map((p) => (
              <ProjectCard key={p.id} project={p} />
            ))}
          </SimpleGrid>
          {catalogue.hasNextPage && (
            <Group justify="center">
              <LoadMore list={catalogue} />
            </Group>
          )}
        </>
      )}
    </Page>
  );
}
