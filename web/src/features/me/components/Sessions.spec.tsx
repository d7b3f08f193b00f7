import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLanguage } from '@/lib/i18n';
import { Sessions } from './Sessions';

const session = (id: string, userAgent: string | null, current: boolean) => ({
  id,
  created_at: '2026-01-01T10:00:00.000Z',
  last_used_at: '2026-01-02T11:30:00.000Z',
  expires_at: '2026-01-31T10:00:00.000Z',
  ip: '203.0.113.7',
  user_agent: userAgent,
  current,
});

const json = (body: unknown, status = 200) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

function renderSection() {
  return render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient()}>
        <Sessions />
      </QueryClientProvider>
    </MantineProvider>,
  );
}

describe('sessions on the profile page', () => {
  afterEach(async () => {
    vi.unstubAllGlobals();
    await setLanguage('en');
  });

  it('lists the sessions, marks this one, and ends another one', async () => {
    let items = [session('a', 'Firefox on Linux', true), session('b', null, false)];
    const calls: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((req: Request) => {
        calls.push(`${req.method} ${new URL(req.url).pathname}`);
        if (req.method === 'DELETE') {
          items = items.filter((s) => s.id !== 'b');
          return Promise.resolve(json(null, 204));
        }
        return Promise.resolve(json({ items }));
      }),
    );
    renderSection();
    expect(await screen.findByText('Firefox on Linux')).toBeTruthy();
    expect(screen.getByText('This session')).toBeTruthy();
    expect(screen.getByText('Unknown browser or app')).toBeTruthy();
    expect(screen.getAllByText(/· 203\.0\.113\.7$/)).toHaveLength(2);
    // Only the other session has its own button; this one is ended by signing out.
    expect(screen.getAllByRole('button', { name: 'End session' })).toHaveLength(1);
    fireEvent.click(screen.getByRole('button', { name: 'End session' }));
    await waitFor(() => expect(screen.queryByText('Unknown browser or app')).toBeNull());
    expect(calls).toContain('DELETE /api/v1/users/me/sessions/b');
    expect(screen.queryByRole('button', { name: 'End all other sessions' })).toBeNull();
  });

  it('ends all other sessions, in Russian too', async () => {
    await setLanguage('ru');
    let items = [session('a', 'A', true), session('b', 'B', false), session('c', 'C', false)];
    vi.stubGlobal(
      'fetch',
      vi.fn((req: Request) => {
        if (req.method === 'POST') {
          items = items.filter((s) => s.current);
          return Promise.resolve(json({ revoked: 2 }));
        }
        return Promise.resolve(json({ items }));
      }),
    );
    renderSection();
    expect(await screen.findByText('Где выполнен вход')).toBeTruthy();
    fireEvent.click(await screen.findByRole('button', { name: 'Завершить все другие сеансы' }));
    expect(await screen.findByText('Завершено других сеансов: 2.')).toBeTruthy();
    await waitFor(() => expect(screen.queryByText('B')).toBeNull());
  });
});
