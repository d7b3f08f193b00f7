import { Alert, Button, Stack } from '@mantine/core';
import { useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';

/** A single-use link that cannot be used (again): says which, and where to go. */
export function LinkProblem({
  kind,
  retryTo,
}: {
  kind: 'used' | 'bad' | 'missing';
  retryTo?: string;
}) {
  const { t } = useTranslation();
  const text =
    kind === 'used' ? t('auth.linkUsed') : kind === 'bad' ? t('auth.linkBad') : t('auth.noToken');
  return (
    <Stack>
      <Alert color={kind === 'used' ? 'yellow' : 'red'} role="alert" title={text} />
      <Button component={Link} to={retryTo ?? '/'} variant="light">
        {retryTo ? t('auth.forgotSubmit') : t('state.home')}
      </Button>
    </Stack>
  );
}
