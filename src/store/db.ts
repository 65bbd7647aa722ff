/**
 * Opens the store: embedded SQLite in the data dir (the default) or PostgreSQL, behind
 * one Kysely query layer, and brings the schema up to date before anything else runs.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import { KubegateError } from '../lib/errors.js';
import { redactUrl } from '../lib/log.js';

export type Engine = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  engine: Engine;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…`; when absent, SQLite at `<dataDir>/kubegate.sqlite3`. */
  databaseUrl?: string | undefined;
  dataDir: string;
}

export const SQLITE_FILE = 'kubegate.sqlite3';

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = options.databaseUrl ? openPostgres(options.databaseUrl) : openSqlite(options.dataDir);
  try {
    await migrate(store, options.databaseUrl ? redactUrl(options.databaseUrl) : join(options.dataDir, SQLITE_FILE));
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** The database and its WAL and shared-memory files: readable by the server's user only. */
const SQLITE_FILE_MODE = 0o600;

function openSqlite(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SQLITE_FILE);
  let sqlite: SQLite.Database;
  try {
    // SQLite creates a database 0644 (less the umask) and gives its -wal and -shm files the
    // database file's mode: created 0600 first, all three stay private.
    if (!existsSync(file)) closeSync(openSync(file, 'a', SQLITE_FILE_MODE));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, SQLITE_FILE_MODE);
    sqlite = new SQLite(file);
  } catch (err) {
    throw new KubegateError('unavailable', `cannot open the SQLite database ${file}: ${(err as Error).message}`, { cause: err });
  }
  // WAL: readers never block the writer, and a crash mid-write leaves the last committed
  // state. synchronous=NORMAL is durable across process crashes (kill -9) in WAL mode.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, engine: 'sqlite', close: () => db.destroy() };
}

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', function onIdleClientError() {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, engine: 'postgres', close: () => db.destroy() };
}

async function migrate(store: Store, where: string): Promise<void> {
  const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.engine) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    // No migration ran at all: the database could not be reached or locked.
    if (!failed) throw new KubegateError('unavailable', `cannot use the database at ${where}: ${reason}`, { cause: error });
    throw new KubegateError('unavailable', `database migration ${failed} failed: ${reason}`, { cause: error });
  }
}

/** Runs `fn` in one transaction: everything it wrote is kept, or nothing is. */
export function transaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  // Already inside one: join it (Kysely has no nested transactions).
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}

export function now(): string {
  return new Date().toISOString();
}

/** True when `err` is a unique-constraint violation on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
