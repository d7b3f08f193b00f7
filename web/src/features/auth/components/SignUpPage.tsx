import { Anchor, Button, Paper, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from '@/lib/i18n';
import { Link } from 'react-router';
import { Page } from '@/components/Page';
import { Done, FormError } from '@/components/PageState';
import { translateRule } from '@/lib/i18n/rules';
import { confirm, email, password, username } from '@/lib/validation';
import { useSignUp } from '../api/auth';

export function SignUpPage() {
  const { t } = useTranslation();
  const signUp = useSignUp();
  const form = useForm({
    initialValues: { username: '', email: '', password: '', password_confirm: '' },
    validate: {
      username: translateRule(t, username),
      email: translateRule(t, email),
      password: translateRule(t, password),
      password_confirm: translateRule(t, confirm('password')),
    },
  });
  return (
    <Page title={t('auth.signUpTitle')}>
      <Paper withBorder p="md" maw={420}>
        {signUp.isSuccess ? (
          <Stack>
            <Done>{t('auth.signedUp', { email: signUp.data.email })}</Done>
            <Button component={Link} to="/signin">
              {t('app.signIn')}
            </Button>
          </Stack>
        ) : (
          <form noValidate onSubmit={form.onSubmit((values) => signUp.mutate(values))}>
            <Stack>
              <TextInput
                label={t('field.username')}
                autoComplete="username"
                {...form.getInputProps('username')}
              />
              <TextInput
                label={t('field.email')}
                type="email"
                autoComplete="email"
                {...form.getInputProps('email')}
              />
              <PasswordInput
                label={t('field.password')}
                autoComplete="new-password"
                {...form.getInputProps('password')}
              />
              <PasswordInput
                label={t('field.confirmPassword')}
                autoComplete="new-password"
                {...form.getInputProps('password_confirm')}
              />
              <FormError error={signUp.error} />
              <Button type="submit" loading={signUp.isPending}>
                {t('app.signUp')}
              </Button>
              <Text size="sm">
                {t('auth.haveAccount')}{' '}
                <Anchor component={Link} to="/signin">
                  {t('app.signIn')}
                </Anchor>
              </Text>
            </Stack>
          </form>
        )}
      </Paper>
    </Page>
  );
}
