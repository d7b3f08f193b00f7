// The app, a MailDev of its own and the in-process worker (relay and consumers), for test
// files that read real mails: started together, closed together, queues removed.
import pino from 'pino';
import { startWorker, type Worker } from '../../src/worker.js';
import { startTestApp, type TestApp } from './app.js';
import { mailDevPorts, startMailDev, type MailDev } from './maildev.js';
import { deleteTestTopology, mailTestEnv } from './worker.js';
import { startTogether } from './together.js';

export interface MailStack {
  md: MailDev;
  t: TestApp;
  worker: Worker;
  close(): Promise<void>;
}

export async function startMailStack(env: Record<string, string> = {}): Promise<MailStack> {
  const ports = await mailDevPorts();
  // Side by side: MailDev boots while the app's database is made and migrated.
  const [md, t] = await startTogether(
    startMailDev(ports),
    startTestApp(mailTestEnv({ SMTP_URL: ports.smtpUrl, ...env })),
  );
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
