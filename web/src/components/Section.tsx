import { Paper, Stack, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** One titled block of a page (the profile, a project's management page). */
export function Section({
  title,
  children,
  maw,
}: {
  title: string;
  children: ReactNode;
  /** The block's maximum width; the page's width when unset. */
  maw?: number;
}) {
  return (
    <Paper withBorder p="md" maw={maw} component="section">
      <Stack>
        <Title order={2} size="h4">
          {title}
        </Title>
        {children}
      </Stack>
    </Paper>
  );
}
