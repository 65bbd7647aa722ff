import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../db.js';
import { withId } from './helpers.js';

export function audit(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>) {
      await withId(engine, db.schema.createTable('audit_events'))
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'integer')
        .addColumn('job_id', 'integer')
        .addColumn('project_id', 'integer')
        .addColumn('user_id', 'integer')
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_time').on('audit_events').column('time').execute();
      await db.schema.createIndex('audit_events_agent').on('audit_events').column('agent_id').execute();
    },
  };
}
