import { MantineProvider, createTheme } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError } from '@/lib/session/session';
import { session } from '@/lib/session/instance';
import { AppRoutes } from './router';

const theme = createTheme({
  primaryColor: 'indigo',
  // AA contrast for text on light fills and filled buttons.
  autoContrast: true,
  defaultRadius: 'md',
});

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // 4xx answers are final; one retry for the rest.
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 1,
        refetchOnWindowFocus: false,
      },
    },
  });
}

export function App() {
  const [queryClient] = useState(makeQueryClient);
  // A session that ends (sign-out, archived account) leaves no one's data in the cache.
  useEffect(
    () =>
      session.subscribe(() => {
        if (session.getStatus() === 'signedOut') {
          queryClient.clear();
        }
      }),
    [queryClient],
  );
  return (
    <MantineProvider theme={theme}>
      <QueryClientProvider client={queryClient}>
        <AppRoutes />
      </QueryClientProvider>
    </MantineProvider>
  );
}
