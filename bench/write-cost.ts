/**
 * What a store writes, in figures that do not drift with the machine's pace:
 * statements sent (the store's own counters, `Store.usage`), rows written
 * (SQLite: its connection's `total_changes()`; Postgres: the schema's
 * tables in `pg_stat_user_tables`, inserts + updates + deletes, and of the
 * updates how many were HOT), and on Postgres the WAL bytes written
 * (`pg_current_wal_lsn()` before and after: the whole server's, so the bench
 * wants a quiet one).
 */
import type pg from 'pg';
import type { Store } from '../src/index.js';

/** What has been written so far. */
export interface WriteSnapshot {
  statements: number;
  rowsWritten?: number;
  hotUpdates?: number;
  walBytes?: number;
}

/** What a bench store case reports of its writes: `closed` once the store is closed (see {@link postgresWrites}). */
export type Writes = (closed: boolean) => Promise<WriteSnapshot>;

/** The difference of two snapshots, per item (a fire, a job), as table figures. */
export function writeCostPer(
  before: WriteSnapshot,
  after: WriteSnapshot,
  items: number,
): Record<string, number | string> {
  const per = (a: number | undefined, b: number | undefined, digits = 1) =>
    a === undefined || b === undefined
      ? 'n/a'
      : Math.round(((b - a) / items) * 10 ** digits) / 10 ** digits;
  return {
    'statements/job': per(before.statements, after.statements, 2),
    'rows written/job': per(before.rowsWritten, after.rowsWritten, 2),
    'HOT updates/job': per(before.hotUpdates, after.hotUpdates, 2),
    'WAL B/job': per(before.walBytes, after.walBytes, 0),
  };
}

/** The snapshot of a store that counts nothing beyond its statements (memory: nothing at all). */
export function storeWrites(store: Store): WriteSnapshot {
  const usage = store.usage?.();
  const snapshot: WriteSnapshot = { statements: usage?.statements ?? Number.NaN };
  if (usage?.rowsWritten !== undefined) snapshot.rowsWritten = usage.rowsWritten;
  return snapshot;
}

/**
 * A Postgres store's snapshot. The server counts rows per table once the
 * backends that wrote them report (at the latest when they exit), so for
 * exact row counts take the last snapshot after the store is closed: then
 * it waits until no connection of the store (its application name) is left.
 */
export async function postgresWrites(
  admin: pg.Pool,
  schema: string,
  store: Store,
  closed: boolean,
): Promise<WriteSnapshot> {
  for (let tries = 0; closed && tries < 100; tries++) {
    const { rows } = await admin.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1',
      [schema],
    );
    if (Number(rows[0]?.n ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { rows } = await admin.query<{ rows: string; hot: string; wal: string }>(
    `SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) AS rows,
       coalesce(sum(n_tup_hot_upd), 0) AS hot,
       pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS wal
     FROM pg_stat_user_tables WHERE schemaname = $1`,
    [schema],
  );
  const row = rows[0];
  return {
    statements: store.usage?.().statements ?? Number.NaN,
    rowsWritten: Number(row?.rows ?? 0),
    hotUpdates: Number(row?.hot ?? 0),
    walBytes: Number(row?.wal ?? 0),
  };
}
