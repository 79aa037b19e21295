/**
 * The real stores a scheduler-level test runs on — SQLite on a temporary
 * file, Postgres in a schema of its own (when it is reachable) — and the
 * memory store, each fresh per call and removed after.
 */
import pg from 'pg';
import { memoryStore, postgresStore, sqliteStore, type Store } from '../../src/index.js';
import { quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { tempDir } from './files.js';
import { SERVICES, serviceAvailable, uniqueName } from './services.js';

/** One store to run on. */
export interface StoreCase {
  name: 'memory' | 'sqlite' | 'postgres';
  available: boolean;
  /** A fresh, empty store and what removes it once it is closed. */
  make: () => { store: Store; cleanup: () => Promise<void> };
}

/**
 * The memory, SQLite and Postgres cases; Postgres schemas are named
 * `<prefix>_…` and dropped by their cleanup. Call `close()` in `afterAll`.
 */
export async function storeCases(prefix: string): Promise<{
  cases: StoreCase[];
  close: () => Promise<void>;
}> {
  const postgresAvailable = await serviceAvailable('postgres');
  const admin = postgresAvailable
    ? new pg.Pool({ connectionString: SERVICES.postgres.url, max: 2 })
    : undefined;
  admin?.on('error', () => undefined);
  const cases: StoreCase[] = [
    {
      name: 'memory',
      available: true,
      make: () => ({ store: memoryStore(), cleanup: async () => undefined }),
    },
    {
      name: 'sqlite',
      available: true,
      make: () => {
        const { dir, cleanup } = tempDir();
        return { store: sqliteStore({ path: `${dir}/chime.db` }), cleanup: async () => cleanup() };
      },
    },
    {
      name: 'postgres',
      available: postgresAvailable,
      make: () => {
        const schema = uniqueName(prefix);
        return {
          store: postgresStore({ connectionString: SERVICES.postgres.url, schema }),
          cleanup: async () => {
            await admin?.query(
              `DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`,
            );
          },
        };
      },
    },
  ];
  return { cases, close: async () => admin?.end() };
}
