// The frame of every page: header (name, language switch, account), navigation (a drawer
import {
  currentLanguage,
  isLanguage,
  setLanguage,
  type Language,
  useTranslation,
} from '@/lib/i18n';
// under a burger at narrow widths), the page. Also the shell's session duties: the
// account's locale wins while signed in.
import { Anchor, Box, Burger, Button, Group, NavLink, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { Loading } from '@/components/PageState';
import { api } from '@/lib/api/client';
import { useMe, useSessionStatus } from '@/lib/session/hooks';
import { session } from '@/lib/session/instance';

function LanguageSwitch() {
  const { t, language } = useTranslation();
  const status = useSessionStatus();
  const save = useMutation({
    mutationFn: (locale: Language) =>
      // The account keeps the choice too (its mails follow it).
      api.PATCH('/api/v1/users/me', { body: { locale } }),
  });
  const current = language;
  // Two toggle buttons (aria-pressed): lighter than a segmented control, as accessible.
  return (
    <Group gap={2} wrap="nowrap" role="group" aria-label={t('app.language')}>
      {(['en', 'ru'] as const).map((lang) => (
        <Button
          key={lang}
          size="compact-xs"
          variant={current === lang ? 'filled' : 'subtle'}
          aria-pressed={current === lang}
          lang={lang}
          // The name starts with the visible text (WCAG 2.5.3).
          aria-label={lang === 'en' ? 'EN (English)' : 'RU (Русский)'}
          onClick={() => {
            void setLanguage(lang);
            if (status === 'signedIn') {
              save.mutate(lang);
            }
          }}
        >
          {lang.toUpperCase()}
        </Button>
      ))}
    </Group>
  );
}

function Account() {
  const { t } = useTranslation();
  const status = useSessionStatus();
  const me = useMe();
  const navigate = useNavigate();
  if (status === 'loading') {
    return null;
  }
  if (status === 'signedOut') {
    return (
      <Group gap="xs" wrap="nowrap">
        <Button component={Link} to="/signin" variant="default" size="xs">
          {t('app.signIn')}
        </Button>
        <Button component={Link} to="/signup" size="xs" visibleFrom="xs">
          {t('app.signUp')}
        </Button>
      </Group>
    );
  }
  return (
    <Group gap="xs" wrap="nowrap">
      {me.data && (
        <Text size="sm" visibleFrom="sm" data-testid="signed-in-as">
          {t('app.signedInAs', { username: me.data.username })}
        </Text>
      )}
      <Button
        variant="default"
        size="xs"
        onClick={() => {
          void session.logout().then(() => navigate('/signin'));
        }}
      >
        {t('app.signOut')}
      </Button>
    </Group>
  );
}

function Navigation({ onNavigate }: { onNavigate: () => void }) {
  const { t } = useTranslation();
  const status = useSessionStatus();
  const me = useMe();
  const location = useLocation();
  const links: { to: string; label: string }[] = [{ to: '/', label: t('app.projects') }];
  if (status === 'signedIn') {
    links.push(
      { to: '/me/applications', label: t('app.myApplications') },
      { to: '/me/projects', label: t('app.myProjects') },
      { to: '/me', label: t('app.profile') },
    );
    if (me.data?.is_superuser) {
      links.push(
        { to: '/admin/users', label: t('app.adminUsers') },
        { to: '/admin/projects', label: t('app.adminProjects') },
        { to: '/admin/webhooks', label: t('app.adminWebhooks') },
      );
    }
  } else if (status === 'signedOut') {
    links.push({ to: '/signup', label: t('app.signUp') });
  }
  return (
    <nav aria-label={t('app.nav')}>
      {links.map((l) => (
        <NavLink
          key={l.to}
          component={Link}
          to={l.to}
          label={l.label}
          active={location.pathname === l.to}
          aria-current={location.pathname === l.to ? 'page' : undefined}
          onClick={onNavigate}
        />
      ))}
    </nav>
  );
}

export function Layout() {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure(false);
  const me = useMe();
  const accountLocale = me.data?.locale;
  useEffect(() => {
    // When signed in, the account's language wins over the page's remembered one.
    if (isLanguage(accountLocale) && accountLocale !== currentLanguage()) {
      void setLanguage(accountLocale);
    }
  }, [accountLocale]);

  return (
    <div className="shell">
      <header className="shell-header">
        <Anchor href="#main" className="skip-link">
          {t('app.skip')}
        </Anchor>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap" miw={0}>
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={t('app.menu')}
              aria-expanded={opened}
              aria-controls="site-nav"
            />
            <Anchor component={Link} to="/" fw={700} c="inherit" underline="never" truncate>
              {t('app.name')}
            </Anchor>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <LanguageSwitch />
            <Account />
          </Group>
        </Group>
      </header>
      <div className="shell-body">
        <Box id="site-nav" className="shell-nav" data-opened={opened || undefined} p="xs">
          <Navigation onNavigate={close} />
        </Box>
        <Box component="main" id="main" tabIndex={-1} className="shell-main" p="md">
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </Box>
      </div>
    </div>
  );
}
