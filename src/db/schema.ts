// Every table, for drizzle-kit and the typed client.
export * from '../modules/users/users.table.js';
export * from '../modules/auth/refresh-sessions.table.js';
export * from '../modules/users/account-tokens.table.js';
export * from '../modules/outbox/outbox.table.js';
export * from '../modules/mail/deliveries.table.js';
export * from '../modules/projects/projects.table.js';
export * from '../modules/webhooks/webhooks.table.js';
