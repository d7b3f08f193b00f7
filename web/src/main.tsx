import { createRoot } from 'react-dom/client';
import '@mantine/core/styles.css';
import '@/app/app.css';
import { App } from '@/app/App';
import { captureFragmentToken } from '@/lib/fragmentToken';
import { initI18n } from '@/lib/i18n';
import { session } from '@/lib/session/instance';

// First of all: a single-use token in the fragment leaves the address bar.
captureFragmentToken();
// Restoring the session (one refresh call) runs while the first page renders.
void session.restore();
void initI18n().then(() => {
  const root = document.getElementById('root');
  if (root) {
    createRoot(root).render(<App />);
  }
});
