import { Button, Paper, SegmentedControl, Stack, Text, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { Done, ErrorState, FormError, Loading, NotFound } from '@/components/PageState';
import type { PlaceRole } from '@/lib/api/types';
import { useProject } from '@/lib/api/projects';
import { placesLeft, useApply } from '../api/projects';
import { useIdParam } from '@/lib/useIdParam';

export function ApplyPage() {
  const id = useIdParam();
  return id === null ? <NotFound /> : <ApplyForm id={id} />;
}

function ApplyForm({ id }: { id: number }) {
  const { t } = useTranslation();
  const project = useProject(id);
  const apply = useApply(id);
  const form = useForm<{ role: PlaceRole; motivation: string }>({
    initialValues: { role: 'developer', motivation: '' },
    validate: { motivation: (v) => (v.length > 5000 ? t('valid.required') : null) },
  });
  if (project.isPending) {
    return <Loading />;
  }
  if (project.isError) {
    return <ErrorState error={project.error} onRetry={() => void project.refetch()} />;
  }
  const p = project.data;
  const left = placesLeft(p);
  return (
    <Page title={t('apply.title', { title: p.title })}>
      <Paper withBorder p="md" maw={560}>
        {apply.isSuccess ? (
          <Stack>
            <Done>{t('apply.sent')}</Done>
            <Button component={Link} to="/me/applications">
              {t('app.myApplications')}
            </Button>
          </Stack>
        ) : (
          <form noValidate onSubmit={form.onSubmit((v) => apply.mutate(v))}>
            <Stack>
              <div>
                <Text component="span" size="sm" fw={500} id="role-label">
                  {t('apply.role')}
                </Text>
                <SegmentedControl
                  fullWidth
                  aria-labelledby="role-label"
                  {...form.getInputProps('role')}
                  data={[
                    {
                      value: 'developer',
                      label: `${t('role.developer')} (${left.developers})`,
                      disabled: p.developer_slots === 0,
                    },
                    {
                      value: 'tester',
                      label: `${t('role.tester')} (${left.testers})`,
                      disabled: p.tester_slots === 0,
                    },
                  ]}
                />
              </div>
              <Textarea
                label={t('apply.motivation')}
                description={t('apply.motivationHint')}
                autosize
                minRows={4}
                maxLength={5000}
                {...form.getInputProps('motivation')}
              />
              <FormError error={apply.error} />
              <Button type="submit" loading={apply.isPending}>
                {t('project.apply')}
              </Button>
            </Stack>
          </form>
        )}
      </Paper>
    </Page>
  );
}
