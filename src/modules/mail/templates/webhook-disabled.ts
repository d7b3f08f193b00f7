// mail.webhook_disabled: to the superuser who created a webhook subscription that the service
// disabled (failing for too long, or the endpoint answered 410 Gone). Issue 9.
import { Type } from 'typebox';
import { defineMail, escapeHtml, htmlLayout, mailPayload } from '../template.js';

export const SUBJECT = 'A webhook subscription was disabled';

export const webhookDisabledMail = defineMail('mail.webhook_disabled', {
  schema: mailPayload({
    subscription_id: Type.Integer({ minimum: 1 }),
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
  }),
  to: (p) => p.email,
  render: (p, ctx) => ({
    subject: SUBJECT,
    text: [
      `Hi ${p.username}!`,
      '',
      `The webhook subscription #${p.subscription_id} (${p.url}) was disabled: ${p.reason}.`,
      'No more events are sent to it. Once the endpoint works again, enable the subscription',
      `(PATCH /api/v1/webhooks/${p.subscription_id} with "is_active": true) and re-send what it`,
      `missed with POST /api/v1/webhooks/${p.subscription_id}/recover.`,
      '',
      `${ctx.publicUrl}/admin/webhooks`,
      '',
      'The IFD team',
      '',
    ].join('\n'),
    html: htmlLayout(
      SUBJECT,
      [
        `<p>Hi <strong>${escapeHtml(p.username)}</strong>!</p>`,
        `<p>The webhook subscription #${escapeHtml(p.subscription_id)} (<code>${escapeHtml(p.url)}</code>) was disabled: ${escapeHtml(p.reason)}.</p>`,
        '<p>No more events are sent to it. Once the endpoint works again, enable the subscription and re-send what it missed with <em>recover</em>.</p>',
        `<p><a href="${escapeHtml(ctx.publicUrl)}/admin/webhooks">Webhooks</a></p>`,
        '<p>The IFD team</p>',
      ].join('\n'),
    ),
  }),
});
