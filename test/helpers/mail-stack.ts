// The app, a MailDev of its own and the in-process worker (relay and consumers), for test
// files that read real mails: started together, closed together, queues removed.
import pino from 'pino';
import { startWorker, type Worker } from '../../src/worker.js';
import { startTestApp, type TestApp } from './app.js';
import { startMailDev, type MailDev } from './maildev.js';
import { deleteTestTopology, mailTestEnv } from './worker.js';

export interface MailStack {
  md: MailDev;
  t: TestApp;
  worker: Worker;
  close(): Promise<void>;
}

export async function startMailStack(env: Record<string, string> = {}): Promise<MailStack> {
  const md = await startMailDev();
  const t = await startTestApp(mailTestEnv({ SMTP_URL: md.smtpUrl, ...env }));
  const worker = await startWorker(t.config, { log: pino({ level: 'silent' }) });
  return {
    md,
    t,
    worker,
    close: async () => {
      await worker.close().catch(() => {});
      await deleteTestTopology(t.config).catch(() => {});
      await t.close().catch(() => {});
      await md.close().catch(() => {});
    },
  };
}
