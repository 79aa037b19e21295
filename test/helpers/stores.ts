/**
 * The real stores a scheduler test runs against — memory, SQLite on a file
 * of its own, Postgres on a schema of its own (skipped with a visible reason
 * when Postgres is unreachable) — each removed after use.
 */
import pg from 'pg';
import { afterAll } from 'vitest';
import {
  memoryStore,
  postgresStore,
  sqliteStore,
  type Execution,
  type Scheduler,
  type Store,
} from '../../src/index.js';
import { quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { until } from './events.js';
import { tempDir } from './files.js';
import { SERVICES, serviceAvailable, uniqueName } from './services.js';

/** One kind of store: `open` makes the store (several calls share one database), `cleanup` removes the database. */
export interface StoreCase {
  name: 'memory' | 'sqlite' | 'postgres';
  available: boolean;
  /** A database of its own: stores on it (as many as asked: instances sharing it), and its removal. */
  database: () => { store: () => Store; cleanup: () => Promise<void> };
}

const postgresAvailable = await serviceAvailable('postgres');
const admin = postgresAvailable
  ? new pg.Pool({ connectionString: SERVICES.postgres.url, max: 2 })
  : undefined;
admin?.on('error', () => undefined);
afterAll(() => admin?.end());

/** Memory, SQLite and Postgres. */
export const STORE_CASES: StoreCase[] = [
  {
    name: 'memory',
    available: true,
    database: () => {
      const store = memoryStore();
      return { store: () => store, cleanup: async () => undefined };
    },
  },
  {
    name: 'sqlite',
    available: true,
    database: () => {
      const { dir, cleanup } = tempDir();
      return {
        store: () => sqliteStore({ path: `${dir}/chime.db` }),
        cleanup: async () => cleanup(),
      };
    },
  },
  {
    name: 'postgres',
    available: postgresAvailable,
    database: () => {
      const schema = uniqueName('chime_ops');
      return {
        store: () => postgresStore({ connectionString: SERVICES.postgres.url, schema }),
        cleanup: async () => {
          await admin?.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`);
        },
      };
    },
  },
];

/**
 * Every execution of a job, oldest fire first, once `done` holds for them;
 * what was last read is in the error when it never does (within `timeoutMs`).
 */
export async function ledgerOf(
  s: Scheduler,
  jobId: string,
  done: (executions: Execution[]) => boolean,
  timeoutMs = 15_000,
): Promise<Execution[]> {
  let executions: Execution[] = [];
  await until(
    async () => {
      executions = (await s.listExecutions({ jobId, limit: 100 })).items.reverse();
      return done(executions);
    },
    timeoutMs,
    `the ledger of ${jobId}`,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}: ${JSON.stringify(executions)}`);
  });
  return executions;
}
