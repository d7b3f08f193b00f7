import { Button, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from '@/lib/i18n';
import { Page } from '@/components/Page';
import { Done, FormError } from '@/components/PageState';
import { translateRule } from '@/lib/i18n/rules';
import { email } from '@/lib/validation';
import { useForgotPassword } from '../api/auth';

export function ForgotPasswordPage() {
  const { t } = useTranslation();
  const forgot = useForgotPassword();
  const form = useForm({
    initialValues: { email: '' },
    validate: { email: translateRule(t, email) },
  });
  return (
    <Page title={t('auth.forgotTitle')}>
      <Paper withBorder p="md" maw={420}>
        {forgot.isSuccess ? (
          <Done>{t('auth.forgotSent')}</Done>
        ) : (
          <form noValidate onSubmit={form.onSubmit((v) => forgot.mutate(v.email))}>
            <Stack>
              <Text size="sm">{t('auth.forgotHint')}</Text>
              <TextInput
                label={t('field.email')}
                type="email"
                autoComplete="email"
                {...form.getInputProps('email')}
              />
              <FormError error={forgot.error} />
              <Button type="submit" loading={forgot.isPending}>
                {t('auth.forgotSubmit')}
              </Button>
            </Stack>
          </form>
        )}
      </Paper>
    </Page>
  );
}
