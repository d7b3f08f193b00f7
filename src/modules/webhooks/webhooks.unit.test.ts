// Pure parts of webhooks: the SSRF address classification (S16), event filters, Retry-After,
// signatures during a rotation. Nothing here touches the network.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { isValidFilter, selects } from './event-types.js';
import { addressProblem, SsrfGuard, UrlRefused } from './ssrf.js';
import { retryAfterMs, signatures } from './webhooks.consumer.js';
import { newSecret } from './webhooks.service.js';
import type { DeliveryJob } from './webhooks.store.js';

const none: Parameters<typeof addressProblem>[1] = [];

describe('S16: SSRF address classification', () => {
  // Each refused address with the refusal's exact words (the API's 422 and the delivery log).
  const refused: Array<[string, string]> = [
    ['127.0.0.1', '127.0.0.1 is a loopback address'],
    ['127.0.0.2', '127.0.0.2 is a loopback address'],
    ['::1', '::1 is a loopback address'],
    ['10.0.0.1', '10.0.0.1 is a private address'],
    ['172.16.5.4', '172.16.5.4 is a private address'],
    ['192.168.1.1', '192.168.1.1 is a private address'],
    ['169.254.169.254', '169.254.169.254 is a link-local address'], // cloud metadata
    ['100.64.0.1', '100.64.0.1 is a carrier-grade NAT address'],
    ['224.0.0.1', '224.0.0.1 is a multicast address'],
    ['0.0.0.0', '0.0.0.0 is an unspecified address'],
    ['255.255.255.255', '255.255.255.255 is a broadcast address'],
    ['240.0.0.1', '240.0.0.1 is a reserved address'],
    ['fc00::1', 'fc00::1 is a unique local address'],
    ['fe80::1', 'fe80::1 is a link-local address'],
    ['ff02::1', 'ff02::1 is a multicast address'],
    ['::ffff:127.0.0.1', '127.0.0.1 is a loopback address'], // IPv4-mapped: judged as IPv4
    ['::ffff:10.0.0.1', '10.0.0.1 is a private address'],
    // NAT64 of a private address: not unicast for ipaddr.js
    ['64:ff9b::a00:1', '64:ff9b::a00:1 is a NAT64 (RFC 6052) address'],
    ['2002::1', '2002::1 is a 6to4 address'],
    ['2001::1', '2001::1 is a Teredo address'],
  ];
  for (const [a, why] of refused) {
    test(`S16: ${a} is refused`, () => {
      assert.equal(addressProblem(a, none), why);
    });
  }
  for (const a of ['93.184.216.34', '2606:4700:4700::1111', '8.8.8.8']) {
    test(`S16: public ${a} is allowed`, () => {
      assert.equal(addressProblem(a, none), null);
    });
  }

  test('S16: WEBHOOK_ALLOW_NETWORKS allows exactly its CIDRs', () => {
    const guard = new SsrfGuard({ allowHttp: true, allowNetworks: ['127.0.0.1/32'] });
    assert.equal(guard.checkUrlShape('http://127.0.0.1:9/x').hostname, '127.0.0.1');
    assert.throws(() => guard.checkUrlShape('http://127.0.0.2:9/x'), /127\.0\.0\.2 is a loopback/);
    assert.throws(() => guard.checkUrlShape('http://[::1]:9/x'), /::1 is a loopback/);
  });

  test('S16: https only unless WEBHOOK_ALLOW_HTTP; no credentials', () => {
    const strict = new SsrfGuard({ allowHttp: false, allowNetworks: [] });
    assert.throws(() => strict.checkUrlShape('http://example.com/'), /must use https/);
    assert.throws(() => strict.checkUrlShape('ftp://example.com/'), /must use https/);
    assert.throws(() => strict.checkUrlShape('https://u:p@example.com/'), /credentials/);
    assert.throws(() => strict.checkUrlShape('not a url'), UrlRefused);
    assert.equal(strict.checkUrlShape('https://example.com/hook').host, 'example.com');
  });

  test('S16: a name is refused when any address it resolves to is not public', async () => {
    // A resolver stand-in: DNS is the one thing a test here cannot reach.
    const guard = new SsrfGuard({ allowHttp: false, allowNetworks: [] }, async (host) =>
      host === 'rebind.example'
        ? [
            { address: '93.184.216.34', family: 4 },
            { address: '10.1.2.3', family: 4 },
          ]
        : [{ address: '93.184.216.34', family: 4 }],
    );
    await assert.rejects(guard.checkUrl('https://rebind.example/'), /10\.1\.2\.3 is a private/);
    assert.equal((await guard.checkUrl('https://public.example/')).host, 'public.example');
    const looked = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      guard.lookup('rebind.example', {}, (err) => resolve(err)),
    );
    assert.match(looked?.message ?? '', /private/, 'connect-time lookup refuses too');
  });
});

describe('event filters', () => {
  test('exact names, prefix.* and *', () => {
    assert.equal(selects(['project.*'], 'project.created'), true);
    assert.equal(selects(['project.*'], 'projects.created'), false);
    assert.equal(selects(['user.created'], 'user.updated'), false);
    assert.equal(selects(['*'], 'member.joined'), true);
    assert.equal(isValidFilter('project.*'), true);
    assert.equal(isValidFilter('nothing.*'), false);
    assert.equal(isValidFilter('mail.welcome'), false, 'mail jobs are not public events');
  });
});

describe('Retry-After and signatures', () => {
  test('Retry-After in seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('3'), 3000);
    const dated = retryAfterMs(new Date(Date.now() + 10_000).toUTCString()) ?? 0;
    assert.ok(dated > 8000 && dated <= 10_000, `HTTP date gave ${dated} ms`);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });

  test('during the overlap both secrets sign; after it only the new one', () => {
    const [oldSecret, newS] = [newSecret(), newSecret()];
    assert.match(newS, /^whsec_[A-Za-z0-9+/]+=*$/);
    const now = new Date();
    const job = {
      secret: newS,
      previousSecret: oldSecret,
      previousSecretExpiresAt: new Date(now.getTime() + 60_000),
    } as DeliveryJob;
    const payload = '{"type":"webhook.ping"}';
    const headers = (sig: string) => ({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': sig,
    });
    const during = signatures(job, 'msg_1', now, payload);
    assert.equal(during.split(' ').length, 2);
    assert.doesNotThrow(() => new Webhook(oldSecret).verify(payload, headers(during)));
    assert.doesNotThrow(() => new Webhook(newS).verify(payload, headers(during)));
    const after = signatures(
      { ...job, previousSecretExpiresAt: new Date(now.getTime() - 1) },
      'msg_1',
      now,
      payload,
    );
    assert.equal(after.split(' ').length, 1);
    assert.throws(() => new Webhook(oldSecret).verify(payload, headers(after)));
    assert.doesNotThrow(() => new Webhook(newS).verify(payload, headers(after)));
  });
});
