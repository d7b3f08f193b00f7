import { Suspense } from 'react';
import { useTranslation } from '@/lib/i18n';
import { Navigate, Outlet, useLocation } from 'react-router';
import { ErrorState, Loading } from '@/components/PageState';
import { useMe, useSessionStatus } from '@/lib/session/hooks';

/** Signed-in pages: wait for the session to be restored; otherwise to /signin and back. */
export function RequireSignIn() {
  const status = useSessionStatus();
  const location = useLocation();
  if (status === 'loading') {
    return <Loading />;
  }
  if (status === 'signedOut') {
    const next = location.pathname + location.search;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <Suspense fallback={<Loading />}>
      <Outlet />
    </Suspense>
  );
}

export function RequireSuperuser() {
  const { t } = useTranslation();
  const me = useMe();
  if (me.isPending) {
    return <Loading />;
  }
  if (me.isError) {
    return <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  }
  if (!me.data.is_superuser) {
    return <ErrorState error={new Error(t('state.forbidden'))} />;
  }
  return <Outlet />;
}
