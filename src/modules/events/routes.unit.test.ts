// Every type of the outbox catalogue reaches at least one consumer (issue 9): a new type
// without a binding would come back unroutable from RabbitMQ and stay pending for ever.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mailTemplates } from '../mail/registry.js';
import { WEBHOOK_EVENT_TYPE_NAMES } from '../webhooks/event-types.js';
import { consumersOf, INTERNAL_JOB_TYPES, topicMatches } from './routes.js';

// The three lists are each complete by construction (mapped types over the catalogue), so
// together they are every outbox type.
const catalogue = [
  ...Object.keys(mailTemplates),
  ...WEBHOOK_EVENT_TYPE_NAMES.filter((t) => t !== 'webhook.ping'),
  ...Object.keys(INTERNAL_JOB_TYPES),
];

describe('events routing', () => {
  test('R2: every catalogue type is routed to at least one consumer', () => {
    const unrouted = catalogue.filter((t) => consumersOf(t).length === 0);
    assert.deepEqual(unrouted, []);
    assert.ok(catalogue.length >= 22, `catalogue has ${catalogue.length} types`);
  });

  test('mail types go to mail only, domain events to the webhooks fan-out, jobs to deliveries', () => {
    assert.deepEqual(consumersOf('mail.welcome'), ['mail']);
    assert.deepEqual(consumersOf('project.created'), ['webhooks-fanout']);
    assert.deepEqual(consumersOf('user.role_changed'), ['webhooks-fanout']);
    assert.deepEqual(consumersOf('webhooks.deliver'), ['webhooks']);
    assert.deepEqual(consumersOf('nobody.listens'), []);
  });

  test('topic patterns: * is one word, # zero or more', () => {
    assert.equal(topicMatches('mail.#', 'mail.welcome'), true);
    assert.equal(topicMatches('mail.#', 'mail'), true);
    assert.equal(topicMatches('mail.*', 'mail.a.b'), false);
    assert.equal(topicMatches('*.created', 'user.created'), true);
    assert.equal(topicMatches('user.#', 'users.created'), false);
  });
});
