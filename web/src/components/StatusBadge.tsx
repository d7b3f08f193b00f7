import { Badge } from '@mantine/core';
import { useTranslation } from '@/lib/i18n';
import type { ApplicationStatus, ProjectStatus } from '@/lib/api/types';

const COLORS: Record<ProjectStatus | ApplicationStatus, string> = {
  draft: 'gray',
  recruiting: 'green',
  active: 'blue',
  completed: 'dark',
  pending: 'yellow',
  accepted: 'green',
  rejected: 'red',
  withdrawn: 'gray',
};

export function StatusBadge({ status }: { status: ProjectStatus | ApplicationStatus }) {
  const { t } = useTranslation();
  return (
    <Badge color={COLORS[status]} variant="light" autoContrast>
      {t(`status.${status}`)}
    </Badge>
  );
}
