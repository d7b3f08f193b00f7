import { Button, Paper, Stack } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { Done, ErrorState, Loading } from '@/components/PageState';
import { fragmentToken } from '@/lib/fragmentToken';
import { ApiError } from '@/lib/session/session';
import { linkOutcome, useVerifyEmail } from '../api/auth';
import { LinkProblem } from './LinkProblem';

export function VerifyEmailPage() {
  const { t } = useTranslation();
  const [token] = useState(() => fragmentToken('/verify-email'));
  const verify = useVerifyEmail();
  const sent = useRef(false);
  const { mutate } = verify;
  useEffect(() => {
    if (token !== null && !sent.current) {
      sent.current = true;
      mutate(token);
    }
  }, [token, mutate]);

  let body;
  if (token === null) {
    body = <LinkProblem kind="missing" />;
  } else if (verify.isError) {
    const e = verify.error;
    body =
      e instanceof ApiError && (e.status === 400 || e.status === 409) ? (
        <LinkProblem kind={e.status === 409 ? 'used' : linkOutcome(e.body)} />
      ) : (
        <ErrorState error={e} />
      );
  } else if (verify.isSuccess) {
    body = (
      <Stack>
        <Done>{t('auth.verified')}</Done>
        <Button component={Link} to="/signin">
          {t('app.signIn')}
        </Button>
      </Stack>
    );
  } else {
    body = <Loading />;
  }
  return (
    <Page title={t('auth.verifyTitle')}>
      <Paper withBorder p="md" maw={480}>
        {body}
      </Paper>
    </Page>
  );
}
