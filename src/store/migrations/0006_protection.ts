import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../db.js';
import { withId } from './helpers.js';

/** GitLab's Maintainer access level: who pushes and merges to a protected branch by default. */
const MAINTAINER = 40;

/**
 * Who may push and merge to each protected branch (GitLab's `push_access_level` and
 * `merge_access_level`), and protected environments with the access levels (or users)
 * allowed to deploy to them.
 *
 * Upgrading also protects the default branch of every project that no rule protects yet
 * (Maintainers push and merge): the default branch holds the agent configuration, which
 * decides who a CI job acts as in a cluster, and was writable by every Developer before.
 */
export function protection(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('protected_branches').addColumn('push_access_level', 'integer', (c) => c.notNull().defaultTo(MAINTAINER)).execute();
      await db.schema.alterTable('protected_branches').addColumn('merge_access_level', 'integer', (c) => c.notNull().defaultTo(MAINTAINER)).execute();

      await withId(engine, db.schema.createTable('protected_environments'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('protected_environments_project_name', ['project_id', 'name'])
        .execute();
      // One row per entry of `deploy_access_levels`: a role (`access_level`) or one user.
      await withId(engine, db.schema.createTable('protected_environment_deploy_access_levels'))
        .addColumn('protected_environment_id', 'integer', (c) => c.notNull().references('protected_environments.id').onDelete('cascade'))
        .addColumn('access_level', 'integer')
        .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
        .execute();

      const projects = (await db.selectFrom('projects').select(['id', 'default_branch']).execute()) as Array<{ id: number; default_branch: string }>;
      const rules = (await db.selectFrom('protected_branches').select(['project_id', 'name']).execute()) as Array<{ project_id: number; name: string }>;
      const now = new Date().toISOString();
      for (const project of projects) {
        const covered = rules.some((r) => r.project_id === project.id && patternMatches(r.name, project.default_branch));
        if (covered) continue;
        await db
          .insertInto('protected_branches')
          .values({ project_id: project.id, name: project.default_branch, created_at: now, push_access_level: MAINTAINER, merge_access_level: MAINTAINER })
          .execute();
      }
    },
  };
}

/** The protected-branch rule of the time this migration was written (`*` any run of characters, anchored). */
function patternMatches(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch;
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's').test(branch);
}
