// End-to-end: a superuser's webhooks page (issues 8 and 9) in Chromium against the built
// application, the real API, the worker and a signature-verifying receiver on loopback.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { request } from '../helpers/http.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { expectAccessible, screenshots } from './browser.js';
import { newPage, person, signIn, useE2E } from './setup.js';

const e = useE2E();

describe('the web application: webhooks (superuser)', () => {
  test('the page lists a subscription, sends a ping the receiver verifies, and shows the delivery', async () => {
    const { t, browser } = e;
    const rx = await startReceiver();
    try {
      rx.on('/hook', () => ({ status: 204 }));
      const su = await person(t, { superuser: true });
      const created = await request<{ id: number; secret: string }>(
        t.url,
        'POST',
        '/api/v1/webhooks/',
        {
          token: su.token,
          json: { url: rx.url('/hook'), description: 'e2e', event_types: ['project.*'] },
        },
      );
      assert.equal(created.status, 201, created.text);

      const a = await newPage(browser);
      await signIn(a.page, t.url, su.username, su.password);
      await a.page.goto(`${t.url}/admin/webhooks`);
      await a.page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
      const item = a.page.getByRole('listitem').filter({ hasText: rx.url('/hook') });
      await item.getByText('project.*').waitFor();
      await expectAccessible(a.page, 'admin webhooks');
      await screenshots(a.page, 'admin-webhooks');

      await item.getByRole('button', { name: 'Send a ping' }).click();
      const deadline = Date.now() + 20_000;
      while (rx.to('/hook').length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const [got] = rx.to('/hook');
      assert.ok(got, 'the receiver got the ping');
      const payload = new Webhook(created.body.secret).verify(got.body, got.headers) as {
        type: string;
      };
      assert.equal(payload.type, 'webhook.ping');

      // The delivery log: the ping, delivered, with the receiver's status code.
      await item.getByRole('button', { name: 'Deliveries' }).click();
      const row = item.getByRole('row').filter({ hasText: 'webhook.ping' });
      await row.getByText('delivered').waitFor({ timeout: 20_000 });
      await row.getByText('204').waitFor();
      await a.context.close();
    } finally {
      await rx.close();
    }
  });
});
