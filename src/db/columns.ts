// Column helpers shared by every table, after the seed's mixins: IntIdPk, Active, timestamps.
// The primary key itself is declared per table so that it can be named pk_<table>.
import { boolean, integer, timestamp } from 'drizzle-orm/pg-core';

/** IntIdPkMixin: an integer identity column; pair it with primaryKey({ name: 'pk_<table>' }). */
export const intId = () => integer('id').notNull().generatedAlwaysAsIdentity();

/** ActiveMixin: archival instead of deletion. */
export const isActive = () => boolean('is_active').notNull().default(true);

export const tsColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const timestamps = () => ({
  createdAt: tsColumn('created_at').notNull().defaultNow(),
  updatedAt: tsColumn('updated_at')
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
});
