import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLanguage } from '@/lib/i18n';
import { SignUpPage } from './SignUpPage';

function renderPage() {
  return render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient()}>
        <MemoryRouter>
          <SignUpPage />
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

const fill = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('sign-up form', () => {
  afterEach(async () => {
    vi.unstubAllGlobals();
    await setLanguage('en');
  });

  it('checks the fields before sending, then sends the page language as the locale', async () => {
    const bodies: unknown[] = [];
    const fetch = vi.fn(async (req: Request) => {
      const body = (await req.json()) as Record<string, unknown>;
      bodies.push(body);
      return new Response(JSON.stringify({ id: 1, ...body }), {
        status: 201,
        headers: { 'Content-Type': 'application/json' },
      });
    });
    vi.stubGlobal('fetch', fetch);
    renderPage();
    fill('Username', 'al');
    fill('Email', 'alice@example');
    fill('Password', 'short');
    fill('Confirm password', 'other');
    fireEvent.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByText('From 3 to 50 characters')).toBeTruthy();
    expect(screen.getByText('Enter a valid email address')).toBeTruthy();
    expect(screen.getByText('From 8 to 128 characters')).toBeTruthy();
    expect(screen.getByText('The passwords do not match')).toBeTruthy();
    expect(fetch).not.toHaveBeenCalled();

    fill('Username', 'alice');
    fill('Email', 'alice@example.com');
    fill('Password', 'a long passphrase');
    fill('Confirm password', 'a long passphrase');
    fireEvent.click(screen.getByRole('button', { name: 'Sign up' }));
    await screen.findByText(/We sent a link to alice@example.com/);
    expect(fetch).toHaveBeenCalledTimes(1);
    const sent = fetch.mock.calls[0]![0];
    expect(new URL(sent.url).pathname).toBe('/api/v1/users/');
    expect(sent.method).toBe('POST');
    expect(bodies[0]).toEqual({
      username: 'alice',
      email: 'alice@example.com',
      password: 'a long passphrase',
      password_confirm: 'a long passphrase',
      locale: 'en',
    });
  });

  it('in Russian the labels are Russian and the account gets locale "ru"', async () => {
    const bodies: unknown[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const body = (await req.json()) as Record<string, unknown>;
        bodies.push(body);
        return new Response(JSON.stringify({ id: 2, ...body }), {
          status: 201,
          headers: { 'Content-Type': 'application/json' },
        });
      }),
    );
    await setLanguage('ru');
    renderPage();
    fill('Имя пользователя', 'boris');
    fill('Электронная почта', 'boris@example.com');
    fill('Пароль', 'длинная парольная фраза');
    fill('Повторите пароль', 'длинная парольная фраза');
    fireEvent.click(screen.getByRole('button', { name: 'Зарегистрироваться' }));
    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0]).toMatchObject({ username: 'boris', locale: 'ru' });
    await screen.findByText(/Аккаунт создан/);
  });
});
