// The account routes of the sign-up, sign-in and link pages.
import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import { currentLanguage } from '@/lib/i18n';
import { session } from '@/lib/session/instance';

export interface SignUpValues {
  username: string;
  email: string;
  password: string;
  password_confirm: string;
}

export function useSignUp() {
  return useMutation({
    mutationFn: (values: SignUpValues) =>
      unwrap(
        api.POST('/api/v1/users/', {
          // The page's language becomes the account's (its mails are written in it).
          body: { ...values, locale: currentLanguage() },
        }),
      ),
  });
}

export function useSignIn() {
  return useMutation({
    mutationFn: ({ username, password }: { username: string; password: string }) =>
      session.login(username, password),
  });
}

export function useForgotPassword() {
  return useMutation({
    mutationFn: (email: string) =>
      unwrap(api.POST('/api/v1/users/password-recovery', { body: { email } })),
  });
}

export function useResetPassword() {
  return useMutation({
    mutationFn: (body: { token: string; new_password: string; new_password_confirm: string }) =>
      unwrap(api.POST('/api/v1/users/reset-password', { body })),
  });
}

export function useVerifyEmail() {
  return useMutation({
    mutationFn: (token: string) =>
      unwrap(api.POST('/api/v1/users/verify-email', { body: { token } })),
  });
}

/** What a single-use link's answer means for the page. */
export function linkOutcome(error: unknown): 'used' | 'bad' {
  const detail = (error as { detail?: unknown } | null)?.detail;
  return detail === 'LINK_ALREADY_USED' ? 'used' : 'bad';
}
