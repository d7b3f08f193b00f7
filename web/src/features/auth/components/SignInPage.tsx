import { Anchor, Button, Paper, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from '@/lib/i18n';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Page } from '@/components/Page';
import { FormError } from '@/components/PageState';
import { ApiError } from '@/lib/session/session';
import { required } from '@/lib/validation';
import { useSignIn } from '../api/auth';

/** Only a path of this site: `next` must not send the user elsewhere. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function signInError(error: unknown, t: (k: 'auth.badCredentials') => string) {
  // 429 and the rest carry a sentence of their own (with the wait, for 429).
  return error instanceof ApiError && error.detail === 'LOGIN_BAD_CREDENTIALS'
    ? t('auth.badCredentials')
    : error;
}

export function SignInPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const signIn = useSignIn();
  const form = useForm({
    initialValues: { username: '', password: '' },
    validate: {
      username: (v) => (required(v) ? t('valid.required') : null),
      password: (v) => (required(v) ? t('valid.required') : null),
    },
  });
  return (
    <Page title={t('auth.signInTitle')}>
      <Paper withBorder p="md" maw={420}>
        <form
          noValidate
          onSubmit={form.onSubmit((values) =>
            signIn.mutate(values, {
              onSuccess: () => void navigate(safeNext(params.get('next')), { replace: true }),
            }),
          )}
        >
          <Stack>
            <TextInput
              label={t('field.username')}
              description={t('field.usernameOrEmail')}
              autoComplete="username"
              {...form.getInputProps('username')}
            />
            <PasswordInput
              label={t('field.password')}
              autoComplete="current-password"
              {...form.getInputProps('password')}
            />
            <FormError error={signIn.error && signInError(signIn.error, t)} />
            <Button type="submit" loading={signIn.isPending}>
              {t('app.signIn')}
            </Button>
            <Anchor component={Link} to="/forgot-password" size="sm">
              {t('auth.forgot')}
            </Anchor>
            <Text size="sm">
              {t('auth.noAccount')}{' '}
              <Anchor component={Link} to="/signup">
                {t('app.signUp')}
              </Anchor>
            </Text>
          </Stack>
        </form>
      </Paper>
    </Page>
  );
}
