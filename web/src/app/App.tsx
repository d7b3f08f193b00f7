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
  // Shade 9 of every colour passes WCAG AA (4.5:1) against white and white against it.
  primaryShade: 9,
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

// Mantine's dimmed text (gray 6) is under 4.5:1 on white; gray 7 passes WCAG AA.
const cssVariables = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});

export function App() {
  const [queryClient] = useState(makeQueryClient);
  // A session that ends (sign-out, archived account) leaves no one's data in the cache. Only
  // an end: clearing on the first "signed out" (no session at load) would drop the public
  // pages' queries in flight.
  useEffect(() => {
    let previous = session.getStatus();
    return session.subscribe(() => {
      const now = session.getStatus();
      if (previous === 'signedIn' && now === 'signedOut') {
        queryClient.clear();
      }
      previous = now;
    });
  }, [queryClient]);
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariables}>
      <QueryClientProvider client={queryClient}>
        <AppRoutes />
      </QueryClientProvider>
    </MantineProvider>
  );
}
