// Every client route of the WEB-CONTRACT. The shell and the catalogue (home) are in the first
// bundle; every other page is a chunk of its own loaded on demand (React.lazy), so a public
// page's JavaScript stays within its budget (ADR 0006, scripts/web-budget.ts).
import { lazy, type ComponentType } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { CataloguePage } from '@/features/catalogue/components/CataloguePage';
import { NotFound } from '@/components/PageState';
import { RequireSignIn, RequireSuperuser } from './guards';
import { Layout } from './Layout';

const named = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) =>
  lazy(async () => ({ default: (await load())[name] }));

const ForgotPasswordPage = named(
  () => import('@/features/auth/components/ForgotPasswordPage'),
  'ForgotPasswordPage',
);
const ResetPasswordPage = named(
  () => import('@/features/auth/components/ResetPasswordPage'),
  'ResetPasswordPage',
);
const SignInPage = named(() => import('@/features/auth/components/SignInPage'), 'SignInPage');
const SignUpPage = named(() => import('@/features/auth/components/SignUpPage'), 'SignUpPage');
const VerifyEmailPage = named(
  () => import('@/features/auth/components/VerifyEmailPage'),
  'VerifyEmailPage',
);
const ProjectPage = named(
  () => import('@/features/catalogue/components/ProjectPage'),
  'ProjectPage',
);
const ApplyPage = named(() => import('@/features/catalogue/components/ApplyPage'), 'ApplyPage');
const ProfilePage = named(() => import('@/features/me/components/ProfilePage'), 'ProfilePage');
const MyApplicationsPage = named(
  () => import('@/features/me/components/MyApplicationsPage'),
  'MyApplicationsPage',
);
const MyProjectsPage = named(
  () => import('@/features/me/components/MyProjectsPage'),
  'MyProjectsPage',
);
const InboxPage = named(() => import('@/features/mentor/components/InboxPage'), 'InboxPage');
const ManagePage = named(() => import('@/features/mentor/components/ManagePage'), 'ManagePage');
const AdminUsersPage = named(
  () => import('@/features/admin/components/AdminUsersPage'),
  'AdminUsersPage',
);
const AdminProjectsPage = named(
  () => import('@/features/admin/components/AdminProjectsPage'),
  'AdminProjectsPage',
);
const AdminWebhooksPage = named(
  () => import('@/features/admin/components/AdminWebhooksPage'),
  'AdminWebhooksPage',
);

// Declarative mode (<BrowserRouter>): the data router's loaders are not used here, and
// leaving them out keeps about 15 KB gzipped off the public pages (ADR 0006).
export function AppRoutes() {
  return (
    <BrowserRouter>
      <Routes>
        <Route element={<Layout />}>
          <Route path="/" element={<CataloguePage />} />
          <Route path="/projects/:id" element={<ProjectPage />} />
          <Route path="/signup" element={<SignUpPage />} />
          <Route path="/signin" element={<SignInPage />} />
          <Route path="/forgot-password" element={<ForgotPasswordPage />} />
          <Route path="/reset-password" element={<ResetPasswordPage />} />
          <Route path="/verify-email" element={<VerifyEmailPage />} />
          <Route element={<RequireSignIn />}>
            <Route path="/projects/:id/apply" element={<ApplyPage />} />
            <Route path="/projects/:id/applications" element={<InboxPage />} />
            <Route path="/projects/:id/manage" element={<ManagePage />} />
            <Route path="/me" element={<ProfilePage />} />
            <Route path="/me/applications" element={<MyApplicationsPage />} />
            <Route path="/me/projects" element={<MyProjectsPage />} />
            <Route element={<RequireSuperuser />}>
              <Route path="/admin/users" element={<AdminUsersPage />} />
              <Route path="/admin/projects" element={<AdminProjectsPage />} />
              <Route path="/admin/webhooks" element={<AdminWebhooksPage />} />
            </Route>
          </Route>
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
