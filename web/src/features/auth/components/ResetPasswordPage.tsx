import { Button, Paper, PasswordInput, Stack } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { Done, FormError } from '@/components/PageState';
import { fragmentToken } from '@/lib/fragmentToken';
import { translateRule } from '@/lib/i18n/rules';
import { ApiError } from '@/lib/session/session';
import { confirm, password } from '@/lib/validation';
import { linkOutcome, useResetPassword } from '../api/auth';
import { LinkProblem } from './LinkProblem';

export function ResetPasswordPage() {
  const { t } = useTranslation();
  const [token] = useState(() => fragmentToken('/reset-password'));
  const reset = useResetPassword();
  const form = useForm({
    initialValues: { new_password: '', new_password_confirm: '' },
    validate: {
      new_password: translateRule(t, password),
      new_password_confirm: translateRule(t, confirm('new_password')),
    },
  });
  const linkError =
    reset.error instanceof ApiError &&
    reset.error.status === 400 &&
    reset.error.detail !== 'Passwords do not match'
      ? linkOutcome(reset.error.body)
      : null;
  return (
    <Page title={t('auth.resetTitle')}>
      <Paper withBorder p="md" maw={420}>
        {token === null ? (
          <LinkProblem kind="missing" retryTo="/forgot-password" />
        ) : linkError ? (
          <LinkProblem kind={linkError} retryTo="/forgot-password" />
        ) : reset.isSuccess ? (
          <Stack>
            <Done>{t('auth.resetDone')}</Done>
            <Button component={Link} to="/signin">
              {t('app.signIn')}
            </Button>
          </Stack>
        ) : (
          <form noValidate onSubmit={form.onSubmit((v) => reset.mutate({ token, ...v }))}>
            <Stack>
              <PasswordInput
                label={t('field.newPassword')}
                autoComplete="new-password"
                {...form.getInputProps('new_password')}
              />
              <PasswordInput
                label={t('field.confirmPassword')}
                autoComplete="new-password"
                {...form.getInputProps('new_password_confirm')}
              />
              <FormError error={reset.error} />
              <Button type="submit" loading={reset.isPending}>
                {t('auth.resetSubmit')}
              </Button>
            </Stack>
          </form>
        )}
      </Paper>
    </Page>
  );
}
