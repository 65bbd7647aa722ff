import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../db.js';
import { withId } from './helpers.js';

export function foundation(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>) {
      await withId(engine, db.schema.createTable('namespaces'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('full_path', 'text', (c) => c.notNull().unique())
        .addColumn('parent_id', 'integer', (c) => c.references('namespaces.id'))
        .addColumn('owner_user_id', 'integer')
        .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('private'))
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('namespaces_parent_id').on('namespaces').column('parent_id').execute();

      await withId(engine, db.schema.createTable('users'))
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('namespace_id', 'integer', (c) => c.references('namespaces.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await withId(engine, db.schema.createTable('projects'))
        .addColumn('namespace_id', 'integer', (c) => c.notNull().references('namespaces.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('full_path', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('default_branch', 'text', (c) => c.notNull())
        .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('private'))
        .addColumn('creator_id', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('projects_namespace_id').on('projects').column('namespace_id').execute();

      await db.schema
        .createTable('routes')
        .addColumn('path_lower', 'text', (c) => c.primaryKey())
        .addColumn('source_kind', 'text', (c) => c.notNull())
        .addColumn('source_id', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('routes_source').on('routes').columns(['source_kind', 'source_id']).unique().execute();

      await withId(engine, db.schema.createTable('personal_access_tokens'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_digest', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .execute();

      await withId(engine, db.schema.createTable('members'))
        .addColumn('source_kind', 'text', (c) => c.notNull())
        .addColumn('source_id', 'integer', (c) => c.notNull())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('access_level', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('members_source_user', ['source_kind', 'source_id', 'user_id'])
        .execute();
      await db.schema.createIndex('members_user_id').on('members').column('user_id').execute();

      await withId(engine, db.schema.createTable('protected_branches'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('protected_branches_project_name', ['project_id', 'name'])
        .execute();

      await withId(engine, db.schema.createTable('environments'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('slug', 'text', (c) => c.notNull())
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('environments_project_name', ['project_id', 'name'])
        .addUniqueConstraint('environments_project_slug', ['project_id', 'slug'])
        .execute();
    },
  };
}
