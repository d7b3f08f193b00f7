// The v1 contract walk (test/helpers/v1-contract.ts) on the real services: PostgreSQL,
// RabbitMQ, MailDev. Its twin in the embedded mode: test/ops/embedded.integration.test.ts.
import { after, before, test } from 'node:test';
import { startMailStack, type MailStack } from '../helpers/mail-stack.js';
import { walkV1Contract } from '../helpers/v1-contract.js';

let stack: MailStack;
before(async () => {
  stack = await startMailStack({ PUBLIC_URL: 'http://127.0.0.1:5173' });
});
after(async () => {
  await stack.close();
});

test('v1 contract on the real services: register → mails → verify → login → /me → refresh → projects', async () => {
  await walkV1Contract(
    stack.t.url,
    {
      waitFor: async (to, subject) =>
        (
          await stack.md.waitForMail(
            (m) => m.subject === subject && m.to.some((a) => a.address === to),
          )
        ).text ?? '',
    },
    'http://127.0.0.1:5173',
  );
});
