import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../db.js';
import { withId } from './helpers.js';

/**
 * EKS creation through AWS and GitLab-managed clusters (document 003):
 * - `application_settings`: the one row of instance settings GitLab's application
 *   settings API exposes (only the EKS fields so far); the secret key sealed.
 * - `cluster_eks_requests`: one per "Create new cluster → Amazon EKS" a user starts, with
 *   the external ID generated for it (role B's trust policy names it) and, once
 *   authenticated, the role and region.
 * - `cluster_providers_aws`: an EKS cluster's form values and its provisioning state
 *   (the stack name and id are kept so that polling resumes after a restart).
 * - `cluster_kubernetes_namespaces`: per cluster, project and environment, the namespace
 *   and service account token made for GitLab-managed clusters. `scope_key`
 *   (`<project id>:<environment id or ->`) is unique per cluster on both engines, where a
 *   unique index over a nullable environment column would let duplicates in.
 */
export function eksClusters(engine: Engine): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('application_settings')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('eks_integration_enabled', 'integer', (c) => c.notNull())
        .addColumn('eks_account_id', 'text')
        .addColumn('eks_access_key_id', 'text')
        .addColumn('eks_secret_access_key_encrypted', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await withId(engine, db.schema.createTable('cluster_eks_requests'))
        .addColumn('owner_key', 'text', (c) => c.notNull())
        .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade'))
        .addColumn('group_id', 'integer', (c) => c.references('namespaces.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('external_id', 'text', (c) => c.notNull().unique())
        .addColumn('role_arn', 'text')
        .addColumn('region', 'text')
        .addColumn('authorized_at', 'text')
        .addColumn('cluster_id', 'integer', (c) => c.references('clusters.id').onDelete('set null'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cluster_eks_requests_owner').on('cluster_eks_requests').column('owner_key').execute();

      await withId(engine, db.schema.createTable('cluster_providers_aws'))
        .addColumn('cluster_id', 'integer', (c) => c.notNull().unique().references('clusters.id').onDelete('cascade'))
        .addColumn('request_id', 'integer', (c) => c.references('cluster_eks_requests.id').onDelete('set null'))
        .addColumn('cluster_name', 'text', (c) => c.notNull())
        .addColumn('role_arn', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('service_role_arn', 'text', (c) => c.notNull())
        .addColumn('kubernetes_version', 'text', (c) => c.notNull())
        .addColumn('key_name', 'text', (c) => c.notNull())
        .addColumn('vpc_id', 'text', (c) => c.notNull())
        .addColumn('subnet_ids', 'text', (c) => c.notNull())
        .addColumn('security_group_id', 'text', (c) => c.notNull())
        .addColumn('instance_type', 'text', (c) => c.notNull())
        .addColumn('num_nodes', 'integer', (c) => c.notNull())
        .addColumn('stack_name', 'text', (c) => c.notNull())
        .addColumn('stack_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cluster_providers_aws_status').on('cluster_providers_aws').column('status').execute();

      await withId(engine, db.schema.createTable('cluster_kubernetes_namespaces'))
        .addColumn('cluster_id', 'integer', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('environment_id', 'integer', (c) => c.references('environments.id').onDelete('cascade'))
        .addColumn('scope_key', 'text', (c) => c.notNull())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('service_account_name', 'text', (c) => c.notNull())
        .addColumn('token_encrypted', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('cluster_kubernetes_namespaces_scope', ['cluster_id', 'scope_key'])
        .execute();
    },
  };
}
