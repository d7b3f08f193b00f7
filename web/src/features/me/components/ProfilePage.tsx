import {
  Alert,
  Badge,
  Button,
  Group,
  PasswordInput,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { isLanguage, setLanguage, useTranslation } from '@/lib/i18n';
import { useForm } from '@mantine/form';
import { useNavigate } from 'react-router';
import { Page } from '@/components/Page';
import { Done, ErrorState, FormError, Loading } from '@/components/PageState';
import type { User } from '@/lib/api/types';
import { translateRule } from '@/lib/i18n/rules';
import { useMe } from '@/lib/session/hooks';
import { confirm, email, password, required, username } from '@/lib/validation';
import { useArchiveMe, useChangePassword, useResendVerification, useUpdateMe } from '../api/me';
import { Section } from '@/components/Section';
import { Sessions } from './Sessions';

export function ProfilePage() {
  const { t } = useTranslation();
  const me = useMe();
  if (me.isPending) {
    return <Loading />;
  }
  if (me.isError) {
    return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  }
  return (
    <Page title={t('me.title')}>
      <Verification user={me.data} />
      <Details user={me.data} />
      <Language user={me.data} />
      <ChangeEmail user={me.data} />
      <ChangePassword user={me.data} />
      <Sessions />
      <Archive />
    </Page>
  );
}

function Verification({ user }: { user: User }) {
  const { t } = useTranslation();
  const resend = useResendVerification();
  if (user.email_verified) {
    return null;
  }
  return (
    <Alert color="yellow" title={t('me.notVerified')} maw={560}>
      {resend.isSuccess ? (
        <Text size="sm" role="status">
          {t('me.resent')}
        </Text>
      ) : (
        <Button
          size="xs"
          variant="white"
          loading={resend.isPending}
          onClick={() => resend.mutate()}
        >
          {t('me.resend')}
        </Button>
      )}
      <FormError error={resend.error} />
    </Alert>
  );
}

function Details({ user }: { user: User }) {
  const { t } = useTranslation();
  const update = useUpdateMe();
  const form = useForm({
    initialValues: { username: user.username },
    validate: { username: translateRule(t, username) },
  });
  return (
    <Section maw={560} title={t('me.details')}>
      <form noValidate onSubmit={form.onSubmit((v) => update.mutate(v))}>
        <Stack>
          <TextInput
            label={t('field.username')}
            autoComplete="username"
            {...form.getInputProps('username')}
          />
          <Group gap="xs">
            <Text size="sm">
              {t('field.email')}: {user.email}
            </Text>
            {user.email_verified && <Badge color="teal">{t('me.verifiedBadge')}</Badge>}
          </Group>
          {user.pending_email && (
            <Text size="sm">{t('me.pendingEmail', { email: user.pending_email })}</Text>
          )}
          <FormError error={update.error} />
          {update.isSuccess && <Done>{t('state.saved')}</Done>}
          <Button type="submit" loading={update.isPending} w="fit-content">
            {t('me.save')}
          </Button>
        </Stack>
      </form>
    </Section>
  );
}

function Language({ user }: { user: User }) {
  const { t } = useTranslation();
  const update = useUpdateMe();
  return (
    <Section maw={560} title={t('me.languageTitle')}>
      <SegmentedControl
        w="fit-content"
        aria-label={t('me.languageTitle')}
        value={user.locale ?? 'en'}
        onChange={(v) => {
          if (isLanguage(v)) {
            void setLanguage(v);
            update.mutate({ locale: v });
          }
        }}
        data={[
          { value: 'en', label: 'English' },
          { value: 'ru', label: 'Русский' },
        ]}
      />
      <FormError error={update.error} />
    </Section>
  );
}

function ChangeEmail({ user }: { user: User }) {
  const { t } = useTranslation();
  const update = useUpdateMe();
  const form = useForm({
    initialValues: { email: user.email, current_password: '' },
    validate: { email: translateRule(t, email), current_password: translateRule(t, required) },
  });
  return (
    <Section maw={560} title={t('me.emailTitle')}>
      <Text size="sm">{t('me.emailHint')}</Text>
      <form
        noValidate
        onSubmit={form.onSubmit((v) =>
          update.mutate(v, { onSuccess: () => form.setFieldValue('current_password', '') }),
        )}
      >
        <Stack>
          <TextInput
            label={t('field.email')}
            type="email"
            autoComplete="email"
            {...form.getInputProps('email')}
          />
          <PasswordInput
            label={t('field.currentPassword')}
            autoComplete="current-password"
            {...form.getInputProps('current_password')}
          />
          <FormError error={update.error} />
          {update.isSuccess && <Done>{t('state.saved')}</Done>}
          <Button type="submit" loading={update.isPending} w="fit-content">
            {t('me.changeEmail')}
          </Button>
        </Stack>
      </form>
    </Section>
  );
}

function ChangePassword({ user }: { user: User }) {
  const { t } = useTranslation();
  const change = useChangePassword(user.username);
  const form = useForm({
    initialValues: { current_password: '', new_password: '', new_password_confirm: '' },
    validate: {
      current_password: translateRule(t, required),
      new_password: translateRule(t, password),
      new_password_confirm: translateRule(t, confirm('new_password')),
    },
  });
  return (
    <Section maw={560} title={t('me.passwordTitle')}>
      <form
        noValidate
        onSubmit={form.onSubmit((v) => change.mutate(v, { onSuccess: () => form.reset() }))}
      >
        <Stack>
          <PasswordInput
            label={t('field.currentPassword')}
            autoComplete="current-password"
            {...form.getInputProps('current_password')}
          />
          <PasswordInput
            label={t('field.newPassword')}
            autoComplete="new-password"
            {...form.getInputProps('new_password')}
          />
          <PasswordInput
            label={t('field.confirmNewPassword')}
            autoComplete="new-password"
            {...form.getInputProps('new_password_confirm')}
          />
          <FormError error={change.error} />
          {change.isSuccess && <Done>{t('me.passwordChanged')}</Done>}
          <Button type="submit" loading={change.isPending} w="fit-content">
            {t('me.changePassword')}
          </Button>
        </Stack>
      </form>
    </Section>
  );
}

function Archive() {
  const { t } = useTranslation();
  const archive = useArchiveMe();
  const navigate = useNavigate();
  const form = useForm({
    initialValues: { current_password: '' },
    validate: { current_password: translateRule(t, required) },
  });
  return (
    <Section maw={560} title={t('me.archiveTitle')}>
      <Text size="sm">{t('me.archiveHint')}</Text>
      <form
        noValidate
        onSubmit={form.onSubmit((v) =>
          archive.mutate(v.current_password, { onSuccess: () => void navigate('/') }),
        )}
      >
        <Stack>
          <PasswordInput
            label={t('field.currentPassword')}
            autoComplete="current-password"
            {...form.getInputProps('current_password')}
          />
          <FormError error={archive.error} />
          <Button type="submit" color="red" loading={archive.isPending} w="fit-content">
            {t('me.archiveConfirm')}
          </Button>
        </Stack>
      </form>
    </Section>
  );
}
