/**
 * A throwaway PostgreSQL for tests. Each test process starts at most one cluster (from
 * the Debian binaries under /usr/lib/postgresql/<version>/bin, in a temporary directory,
 * on a free loopback port) and hands out one fresh database per `startPostgres()` call.
 *
 * With `KUBEGATE_TEST_DATABASE_URL` set, that server is used instead and only the
 * databases are created (and dropped again). Without either, `startPostgres()` returns
 * undefined and the caller skips with `POSTGRES_MISSING`.
 *
 * The cluster is stopped and its directory removed when the process exits, however it
 * exits: an `exit` hook stops it at once, and a detached watchdog does it if the test
 * process is killed outright.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, type TestContext } from 'node:test';
import pg from 'pg';

const run = promisify(execFile);

export const POSTGRES_MISSING = 'PostgreSQL is not installed (initdb not found): install the postgresql package or run .ci/run';

export interface TestPostgres {
  /** `postgres://…/<fresh database>` */
  url: string;
  /** Drops the database (the cluster itself stops when the process exits). */
  stop(): Promise<void>;
}

interface Cluster {
  /** A URL to the maintenance database (`postgres`) of the cluster. */
  adminUrl: string;
}

let clusterPromise: Promise<Cluster | undefined> | undefined;
let counter = 0;

/** A fresh database, or undefined when PostgreSQL is not available here. */
export async function startPostgres(): Promise<TestPostgres | undefined> {
  clusterPromise ??= startCluster();
  const cluster = await clusterPromise;
  if (!cluster) return undefined;
  const name = `kubegate_test_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(cluster.adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(cluster.adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async stop() {
      if (dropped) return;
      dropped = true;
      // FORCE: a pool the test forgot to close must not keep the database alive.
      await adminQuery(cluster.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Whether `startPostgres()` can work here (known without starting anything, e.g. for `describe`'s skip). */
export function postgresAvailable(): boolean {
  return Boolean(process.env.KUBEGATE_TEST_DATABASE_URL) || findPostgresBin() !== undefined;
}

/** The directory holding initdb, pg_ctl and postgres, newest version first; undefined when absent. */
export function findPostgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(base, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

async function startCluster(): Promise<Cluster | undefined> {
  const external = process.env.KUBEGATE_TEST_DATABASE_URL;
  if (external) {
    const url = new URL(external);
    url.pathname = '/postgres';
    return { adminUrl: url.toString() };
  }
  const bin = findPostgresBin();
  if (!bin) return undefined;

  // initdb and postgres refuse to run as root: run them as the `postgres` user then,
  // in a directory it owns.
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'kubegate-pg-'));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  await mkdir(socketDir);
  const dbUser = asRoot ? 'postgres' : userInfo().username;
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gids = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (ids.status !== 0) throw new Error('running as root, but there is no "postgres" user to run PostgreSQL as; install the postgresql package');
    for (const p of [dir, socketDir]) await chown(p, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  // runuser (util-linux) where it exists, else su, which every system has.
  const hasRunuser = asRoot && spawnSync('runuser', ['--version'], { stdio: 'ignore' }).status === 0;
  const command = (tool: string, args: string[]): [string, string[]] => {
    if (!asRoot) return [join(bin, tool), args];
    if (hasRunuser) return ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]];
    return ['su', ['-s', '/bin/sh', 'postgres', '-c', [join(bin, tool), ...args].map(shellQuote).join(' ')]];
  };

  let cleaned = false;
  const stopSync = () => {
    if (cleaned) return;
    cleaned = true;
    const [cmd, args] = command('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    spawnSync(cmd, args, { stdio: 'ignore' });
    spawnSync('rm', ['-rf', dir], { stdio: 'ignore' });
  };
  process.once('exit', stopSync);
  // If this process is killed outright (no exit hook runs), a detached watchdog stops
  // the cluster once it sees this process gone.
  const [stopCmd, stopArgs] = command('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  const quoted = [stopCmd, ...stopArgs].map(shellQuote).join(' ');
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${quoted} >/dev/null 2>&1; rm -rf '${dir}'`], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();

  try {
    const [initCmd, initArgs] = command('initdb', ['-D', dataDir, '-U', dbUser, '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
    await run(initCmd, initArgs).catch(async () => {
      // Older images may lack the C.UTF-8 locale; C works everywhere.
      await rm(dataDir, { recursive: true, force: true });
      const [c, a] = command('initdb', ['-D', dataDir, '-U', dbUser, '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
      await run(c, a);
    });
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const options = [
        `-p ${port}`,
        `-k ${socketDir}`,
        '-c listen_addresses=127.0.0.1',
        // Speed over durability: the data is thrown away after the tests.
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
        '-c shared_buffers=32MB',
      ].join(' ');
      const [startCmd, startArgs] = command('pg_ctl', ['-D', dataDir, '-l', join(dir, 'postgres.log'), '-w', '-t', '30', '-o', options, 'start']);
      try {
        await run(startCmd, startArgs);
        return { adminUrl: `postgres://${encodeURIComponent(dbUser)}@127.0.0.1:${port}/postgres` };
      } catch (err) {
        // Most likely the port was taken between probing and binding: try another.
        lastError = err;
      }
    }
    throw lastError;
  } catch (err) {
    stopSync();
    throw new Error(`could not start a test PostgreSQL from ${bin}: ${(err as Error).message}`, { cause: err });
  }
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

/**
 * Where one engine's store lives for a suite that runs on both engines. Call it inside
 * `describe`: it registers the hooks that make a temp data dir (and, for PostgreSQL, a
 * fresh database) before the suite and remove them after. Tests start with
 * `if (fx.skipped(t)) return;`, which skips with an explicit message when PostgreSQL is
 * not installed.
 */
export interface EngineFixture {
  engine: Engine;
  /** Options for `openStore` (valid once the suite's `before` hook ran). */
  storeOptions: { dataDir: string; databaseUrl: string | undefined };
  skipped(t: TestContext): boolean;
}

export function engineFixture(engine: Engine): EngineFixture {
  let database: TestPostgres | undefined;
  let missing = false;
  const fx: EngineFixture = {
    engine,
    storeOptions: { dataDir: '', databaseUrl: undefined },
    skipped(t) {
      if (missing) t.skip(POSTGRES_MISSING);
      return missing;
    },
  };
  before(async function prepareEngine() {
    fx.storeOptions.dataDir = await mkdtemp(join(tmpdir(), `kubegate-store-${engine}-`));
    if (engine === 'postgres') {
      database = await startPostgres();
      if (database) fx.storeOptions.databaseUrl = database.url;
      else missing = true;
    }
  });
  after(async function removeEngine() {
    await database?.stop();
    if (fx.storeOptions.dataDir) await rm(fx.storeOptions.dataDir, { recursive: true, force: true });
  });
  return fx;
}
