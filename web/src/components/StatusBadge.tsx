import { Badge } from '@mantine/core';
import { useTranslation } from '@/lib/i18n';
import type { ApplicationStatus, ProjectStatus } from '@/lib/api/types';

const COLORS: Record<ProjectStatus | ApplicationStatus, string> = {
  draft: 'gray',
  recruiting: 'teal',
  active: 'blue',
  completed: 'dark',
  pending: 'grape',
  accepted: 'teal',
  rejected: 'red',
  withdrawn: 'gray',
};

export function StatusBadge({ status }: { status: ProjectStatus | ApplicationStatus }) {
  const { t } = useTranslation();
  return (
    // The tint tells the state at a glance; the text stays dark for contrast (WCAG AA).
    <Badge color={COLORS[status]} variant="light" c="dark.8">
      {t(`status.${status}`)}
    </Badge>
  );
}
