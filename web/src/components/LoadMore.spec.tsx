import { MantineProvider } from '@mantine/core';
import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLanguage } from '@/lib/i18n';
import { LoadMore } from './PageState';

const renderWith = (list: Parameters<typeof LoadMore>[0]['list']) =>
  render(
    <MantineProvider>
      <LoadMore list={list} />
    </MantineProvider>,
  );

describe('load more under a paged list', () => {
  afterEach(async () => {
    await setLanguage('en');
  });

  it('is absent when the API reported no next page', () => {
    renderWith({ hasNextPage: false, isFetchingNextPage: false, fetchNextPage: vi.fn() });
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('fetches the next page once per click', () => {
    const fetchNextPage = vi.fn();
    renderWith({ hasNextPage: true, isFetchingNextPage: false, fetchNextPage });
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(fetchNextPage).toHaveBeenCalledTimes(1);
  });

  it('shows that the next page is loading, and speaks Russian', async () => {
    await setLanguage('ru');
    renderWith({ hasNextPage: true, isFetchingNextPage: true, fetchNextPage: vi.fn() });
    const button = screen.getByRole('button', { name: 'Показать ещё' });
    expect(button.getAttribute('data-loading')).toBe('true');
  });
});
