/**
 * The real stores a scheduler test runs on, one `describe` each: memory,
 * SQLite (a file of its own) and Postgres (a schema of its own, dropped
 * after) when it is reachable — skipped with a visible reason otherwise
 * (`services.ts`).
 */
import pg from 'pg';
import { afterAll } from 'vitest';
import { memoryStore, postgresStore, sqliteStore, type Store } from '../../src/index.js';
import { quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { tempDir } from './files.js';
import { SERVICES, serviceAvailable, uniqueName } from './services.js';

/** One store a test runs on. */
export interface StoreCase {
  name: 'memory' | 'sqlite' | 'postgres';
  /** False when its service is unreachable: skip its tests. */
  available: boolean;
  /** A fresh, empty store (not opened) and what removes its data once it is closed. */
  make: () => { store: Store; cleanup: () => Promise<void> };
}

/**
 * The store cases of a test file; call once at its top level (it registers
 * the `afterAll` that closes the Postgres admin pool). `prefix` names the
 * Postgres schemas.
 */
export async function storeCases(prefix: string): Promise<StoreCase[]> {
  const postgresAvailable = await serviceAvailable('postgres');
  const admin = postgresAvailable
    ? new pg.Pool({ connectionString: SERVICES.postgres.url, max: 2 })
    : undefined;
  admin?.on('error', () => undefined);
  afterAll(() => admin?.end());
  return [
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
}
