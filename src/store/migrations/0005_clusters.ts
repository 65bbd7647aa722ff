import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../db.js';
import { withId } from './helpers.js';

/**
 * Certificate-based clusters (deprecated in GitLab, kept so existing users can move).
 * `owner_key` (`project:<id>`, `group:<id>` or `instance`) makes one environment scope
 * per owner unique on both engines: a unique index over nullable project/group columns
 * would treat NULLs as distinct and let duplicates in.
 */
export function clusters(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>) {
      await withId(engine, db.schema.createTable('clusters'))
        .addColumn('cluster_type', 'text', (c) => c.notNull())
        .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade'))
        .addColumn('group_id', 'integer', (c) => c.references('namespaces.id').onDelete('cascade'))
        .addColumn('owner_key', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('environment_scope', 'text', (c) => c.notNull())
        .addColumn('provider_type', 'text', (c) => c.notNull())
        .addColumn('api_url', 'text', (c) => c.notNull())
        .addColumn('ca_cert', 'text')
        .addColumn('token_encrypted', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text')
        .addColumn('authorization_type', 'text', (c) => c.notNull())
        .addColumn('managed', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
        .addUniqueConstraint('clusters_owner_environment_scope', ['owner_key', 'environment_scope'])
        .execute();
    },
  };
}
