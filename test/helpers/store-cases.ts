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
  make: () => StoreMade;
}

/** A store made for a test. */
export interface StoreMade {
  store: Store;
  /** Removes its data once every store on it is closed. */
  cleanup: () => Promise<void>;
  /** Another store on the same data (a second process's), or undefined for the memory store. */
  another?: () => Store;
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
        const another = () => sqliteStore({ path: `${dir}/chime.db` });
        return { store: another(), cleanup: async () => cleanup(), another };
      },
    },
    {
      name: 'postgres',
      available: postgresAvailable,
      make: () => {
        const schema = uniqueName(prefix);
        const another = () => postgresStore({ connectionString: SERVICES.postgres.url, schema });
        return {
          store: another(),
          another,
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
