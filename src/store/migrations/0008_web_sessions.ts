import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../db.js';
import { withId } from './helpers.js';

/**
 * Sessions of the web UI. Only a digest of the session id is stored (a copy of the
 * table opens no browser session); each session hangs off the personal access token it
 * was signed in with, so revoking that token or deleting the user ends it too.
 */
export function webSessions(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>) {
      await withId(engine, db.schema.createTable('web_sessions'))
        .addColumn('id_digest', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_id', 'integer', (c) => c.notNull().references('personal_access_tokens.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('web_sessions_expires_at').on('web_sessions').column('expires_at').execute();
    },
  };
}
