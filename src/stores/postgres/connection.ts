/**
 * The Postgres store's options and its access to the database: a pg Pool
 * (the caller's, or one of the store's own), statements run by name, batches
 * in one transaction, and every driver error turned into a `ChimeError`.
 *
 * Faults: the pool replaces a broken client (its `'error'` event is handled,
 * so an idle connection dropping never crashes the process); a statement on a
 * dead connection fails at once with `CHIME_ERR_STORE_UNAVAILABLE` carrying
 * the driver's error as `cause`; reads are retried once on a fresh connection,
 * writes are not (the caller cannot tell whether they committed).
 */
import pg from 'pg';
import type { Client, Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { ChimeError, isChimeError } from '../../errors.js';
import { quoteSchema } from './identifiers.js';
import { bind, type StatementName, type Statements, type Value } from './sql.js';

/** Options of `postgresStore()`. */
export interface PostgresStoreOptions {
  /** Where the database is, e.g. `postgres://user@host:5432/db`; required unless `pool` is given. */
  connectionString?: string;
  /** The schema holding chime's tables: `^[a-z_][a-z0-9_]{0,62}$`, not `pg_…`. @defaultValue `'chime'` */
  schema?: string;
  /**
   * A pool of the caller's to use instead of one of the store's own. The store
   * never ends it; give it an `'error'` listener, as pg requires of every pool.
   * The LISTEN connection is a separate client made from `pool.options`.
   */
  pool?: Pool;
  /** Apply pending migrations at open(); when false, open() only checks the schema is up to date. @defaultValue true */
  migrate?: boolean;
  /** Connections of the store's own pool. @defaultValue 10 */
  maxConnections?: number;
  /** `application_name` of the store's own connections. @defaultValue `'chime'` */
  applicationName?: string;
  /** NOTIFY only work due within this many ms of the database clock (later work is found by polling). @defaultValue 60000 */
  notifyWithinMs?: number;
}

/** Resolved, frozen options. */
export interface Settings {
  readonly connectionString: string | undefined;
  readonly schema: string;
  readonly pool: Pool | undefined;
  readonly migrate: boolean;
  readonly maxConnections: number;
  readonly applicationName: string;
  readonly notifyWithinMs: number;
}

/** Runs one of the store's statements by name. */
export type Run = <R extends QueryResultRow>(
  name: StatementName,
  values: Readonly<Record<string, Value>>,
) => Promise<QueryResult<R>>;

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Checks options and resolves their defaults into a new frozen object.
 * @throws ChimeError `CHIME_ERR_OPTION_INVALID` naming the offending option
 */
export function resolveOptions(options: PostgresStoreOptions): Settings {
  const invalid = (path: string, message: string) =>
    new ChimeError('CHIME_ERR_OPTION_INVALID', `postgresStore: ${message}`, { path });
  const schema = options.schema ?? 'chime';
  quoteSchema(schema);
  if (options.pool === undefined && !options.connectionString)
    throw invalid('/connectionString', 'give a connectionString or a pool');
  const maxConnections = options.maxConnections ?? 10;
  if (!Number.isInteger(maxConnections) || maxConnections < 1)
    throw invalid('/maxConnections', 'maxConnections must be a positive integer');
  const notifyWithinMs = options.notifyWithinMs ?? 60_000;
  if (!Number.isFinite(notifyWithinMs) || notifyWithinMs < 0)
    throw invalid('/notifyWithinMs', 'notifyWithinMs must be a non-negative number of ms');
  return Object.freeze({
    connectionString: options.connectionString,
    schema,
    pool: options.pool,
    migrate: options.migrate ?? true,
    maxConnections,
    applicationName: options.applicationName ?? 'chime',
    notifyWithinMs: Math.round(notifyWithinMs),
  });
}

/** The store's connections to one schema: its pool while open, and how statements run on it. */
export class Database {
  private pool: Pool | undefined;
  /** Statements sent so far (queries, BEGIN and COMMIT). */
  statements = 0;

  constructor(
    private readonly settings: Settings,
    private readonly sql: Statements,
  ) {}

  /** The open pool, if any. */
  get current(): Pool | undefined {
    return this.pool;
  }

  /** A pool to open with: the caller's, or a new one of the store's own. */
  acquire(): Pool {
    if (this.settings.pool) return this.settings.pool;
    const pool = new pg.Pool({ ...this.clientConfig(), max: this.settings.maxConnections });
    // Idle clients that break emit here; the pool has already dropped them.
    pool.on('error', () => undefined);
    return pool;
  }

  /** Ends a pool from {@link acquire} unless it is the caller's. */
  async release(pool: Pool): Promise<void> {
    if (pool !== this.settings.pool) await pool.end().catch(() => undefined);
  }

  /** Makes `pool` the open one. */
  attach(pool: Pool): void {
    this.pool = pool;
  }

  /** Forgets the open pool and returns it (for {@link release}). */
  detach(): Pool | undefined {
    const pool = this.pool;
    this.pool = undefined;
    return pool;
  }

  /** A new, unconnected client outside the pool (for LISTEN). */
  newClient(): Client {
    return new pg.Client(this.settings.pool?.options ?? this.clientConfig());
  }

  /** One statement on any pooled connection; a read (`retry`) is retried once after a connection fault. */
  async query<R extends QueryResultRow = QueryResultRow>(
    what: string,
    name: StatementName,
    values: Readonly<Record<string, Value>>,
    retry = false,
  ): Promise<QueryResult<R>> {
    const pool = this.connected(what);
    const config = bind(this.sql[name], values);
    for (let round = 1; ; round++) {
      try {
        this.statements++;
        return await pool.query<R>(config);
      } catch (err) {
        // A statement Postgres rolled back as a deadlock victim changed nothing: run it again.
        const again =
          (retry && round === 1 && isConnectionFault(err)) || (isDeadlock(err) && round < 3);
        if (!again) throw this.unavailable(what, err);
      }
    }
  }

  /**
   * Runs `fn` with a statement runner: in one transaction on one connection
   * when `transaction` (all of it commits, or none of it), else on the pool
   * (for one statement). A deadlock victim — Postgres rolled all of it back —
   * runs again, up to three times in all, so `fn` must start from scratch
   * each time it is called (reset what it collects).
   */
  async batch(what: string, transaction: boolean, fn: (run: Run) => Promise<void>): Promise<void> {
    const pool = this.connected(what);
    for (let round = 1; ; round++) {
      try {
        if (!transaction)
          return await fn((name, values) => {
            this.statements++;
            return pool.query(bind(this.sql[name], values));
          });
        const client = await pool.connect();
        this.statements += 2; // BEGIN and COMMIT
        return await inTransaction(
          client,
          (name, values) => {
            this.statements++;
            return client.query(bind(this.sql[name], values));
          },
          fn,
        );
      } catch (err) {
        if (!(isDeadlock(err) && round < 3)) throw this.unavailable(what, err);
      }
    }
  }

  /** A driver error as `CHIME_ERR_STORE_UNAVAILABLE` with its cause; a ChimeError passes as it is. */
  unavailable(what: string, cause: unknown): ChimeError {
    if (isChimeError(cause)) return cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new ChimeError(
      'CHIME_ERR_STORE_UNAVAILABLE',
      `the Postgres store (schema ${this.settings.schema}) could not ${what}: ${reason}`,
      { cause },
    );
  }

  private connected(what: string): Pool {
    if (this.pool) return this.pool;
    throw new ChimeError(
      'CHIME_ERR_STORE_UNAVAILABLE',
      `cannot ${what}: the Postgres store (schema ${this.settings.schema}) is not open; call open() first`,
    );
  }

  private clientConfig(): pg.ClientConfig {
    return {
      connectionString: this.settings.connectionString,
      application_name: this.settings.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    };
  }
}

/** True for errors Postgres raises after rolling the statement back: a deadlock or a serialization failure. */
function isDeadlock(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === '40P01' || code === '40001';
}

/** Runs `fn` between BEGIN and COMMIT on `client` (ROLLBACK on error), then releases it. */
async function inTransaction(
  client: PoolClient,
  run: Run,
  fn: (run: Run) => Promise<void>,
): Promise<void> {
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await fn(run);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch((rollback: unknown) => {
      broken = asError(rollback);
    });
    if (isConnectionFault(err)) broken = asError(err);
    throw err;
  } finally {
    // A client whose connection failed is destroyed, not returned to the pool.
    client.release(broken);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** True for faults of the connection rather than of the statement: worth one retry on a fresh one. */
export function isConnectionFault(err: unknown): boolean {
  if (!(err instanceof pg.DatabaseError)) return !isChimeError(err);
  return /^(08|57P0)/.test(err.code ?? '');
}

/**
 * Splits a batch into runs in which no key repeats, keeping order: a batch
 * statement binds each row once, and a repeated row must see the effect of
 * its earlier request, as if the requests were applied one by one.
 */
export function segments<T>(
  items: readonly T[],
  key: (item: T) => string,
): { offset: number; items: T[] }[] {
  const parts: { offset: number; items: T[] }[] = [];
  let seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    const last = parts[parts.length - 1];
    if (!last || seen.has(k)) {
      parts.push({ offset: i, items: [item] });
      seen = new Set([k]);
    } else {
      last.items.push(item);
      seen.add(k);
    }
  });
  return parts;
}
