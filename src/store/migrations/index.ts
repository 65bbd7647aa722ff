import type { Migration, MigrationProvider } from 'kysely';
import type { Engine } from '../db.js';
import { foundation } from './0001_foundation.js';
import { agents } from './0002_agents.js';
import { ciJobs } from './0003_ci_jobs.js';
import { audit } from './0004_audit.js';
import { clusters } from './0005_clusters.js';
import { protection } from './0006_protection.js';
import { eksClusters } from './0007_eks_clusters.js';
import { webSessions } from './0008_web_sessions.js';

/**
 * Versioned migrations, applied in name order at start. Never edit one that has shipped:
 * add the next number. Each takes the engine, since a few column types differ.
 */
export function migrationProvider(engine: Engine): MigrationProvider {
  const all: Record<string, Migration> = {
    '0001_foundation': foundation(engine),
    '0002_agents': agents(engine),
    '0003_ci_jobs': ciJobs(engine),
    '0004_audit': audit(engine),
    '0005_clusters': clusters(engine),
    '0006_protection': protection(engine),
    '0007_eks_clusters': eksClusters(engine),
    '0008_web_sessions': webSessions(engine),
  };
  return { getMigrations: async () => all };
}
