/**
 * The SQLite store's registry of live instances (the contract: `../instances.ts`).
 * Every call is one `BEGIN IMMEDIATE` transaction on the caller's connection.
 * Besides silence, a death is told by the process: instances sharing a file
 * share a host, and a registered pid that no longer runs the same process on
 * this host and boot is gone (`processes.ts`).
 */
import type Database from 'better-sqlite3';
import { ChimeError } from '../../errors.js';
import type { BeatResult, InstanceBeat, InstanceInfo, InstanceRecord } from '../instances.js';
import { instanceFromRow, type InstanceRow as SqlInstanceRow } from '../sql-rows.js';
import { mayHaveRunBefore } from '../rules.js';
import { isGone, thisProcess } from './processes.js';
import { counted, type StatementCounter, type Stmt } from './statements.js';

/** A row of `instances`, with how its process is told apart on this host. */
type InstanceRow = SqlInstanceRow & { boot_id: string | null; pid_start: number | null };

/** A planned execution of the dead instance whose instant had not come before `@ran_before`. */
const UNRUN = `status = 'scheduled' AND run_at >= @ran_before`;
/** One whose instant came: it may have run from memory. */
const MAY_HAVE_RUN = `status = 'scheduled' AND run_at < @ran_before`;

const SQL = {
  get: 'SELECT * FROM instances WHERE id = @id',
  all: 'SELECT * FROM instances ORDER BY id',
  insert: `INSERT INTO instances (id, host, pid, version, started_at, capacity, last_seen_at, held,
      running, boot_id, pid_start)
    VALUES (@id, @host, @pid, @version, @started_at, @capacity, @now, 0, 0, @boot_id, @pid_start)`,
  beat: `UPDATE instances SET last_seen_at = @now, held = @held, running = @running
    WHERE id = @id`,
  remove: 'DELETE FROM instances WHERE id = @id',
  // rules.ts voidLease (SET expressions read the row as it was).
  voidLeases: `UPDATE executions SET lease_token = lease_token + 1,
      lease_owner = CASE WHEN ${UNRUN} THEN NULL ELSE lease_owner END,
      lease_until = CASE WHEN ${UNRUN} THEN NULL ELSE @now - 1 END,
      attempt = CASE WHEN ${MAY_HAVE_RUN} THEN attempt + 1 ELSE attempt END,
      started_at = CASE WHEN ${MAY_HAVE_RUN} THEN run_at ELSE started_at END,
      status = CASE WHEN ${MAY_HAVE_RUN} THEN 'running' ELSE status END
    WHERE lease_owner = @id`,
} as const;

/** The registry on one connection. */
export class SqliteRegistry {
  private readonly s: { [K in keyof typeof SQL]: Stmt<InstanceRow> };

  constructor(
    private readonly db: Database.Database,
    counter: StatementCounter,
  ) {
    this.s = Object.fromEntries(
      Object.entries(SQL).map(([name, sql]) => [name, counted<InstanceRow>(db, sql, counter)]),
    ) as SqliteRegistry['s'];
  }

  register(params: { instance: InstanceInfo; now: number; deadBefore: number }): void {
    const { instance, now, deadBefore } = params;
    const me = thisProcess();
    this.write(() => {
      const current = this.s.get.get({ id: instance.id });
      if (current && !isDead(current, deadBefore)) {
        throw new ChimeError(
          'CHIME_ERR_INSTANCE_ID_TAKEN',
          `a live instance is registered as "${instance.id}" (pid ${current.pid} on ${current.host}, last sign of life ${now - current.last_seen_at} ms ago)`,
        );
      }
      if (current) this.declareDead(current.id, now, ranBefore(current, now, deadBefore));
      this.s.insert.run({
        id: instance.id,
        host: instance.host,
        pid: instance.pid,
        version: instance.version,
        started_at: instance.startedAt,
        capacity: instance.capacity,
        now,
        // The pid evidence holds only for the process that registers itself.
        boot_id: instance.pid === me.pid && instance.host === me.host ? me.bootId : null,
        pid_start: instance.pid === me.pid && instance.host === me.host ? me.pidStart : null,
      });
    });
  }

  beat(beat: InstanceBeat): BeatResult {
    return this.write(() => {
      const { id, now, held, running } = beat;
      const registered = this.s.beat.run({ id, now, held, running }).changes === 1;
      const declaredDead: string[] = [];
      const live: InstanceRecord[] = [];
      for (const row of this.s.all.all({})) {
        if (row.id !== beat.id && isDead(row, beat.deadBefore)) {
          this.declareDead(row.id, beat.now, ranBefore(row, beat.now, beat.deadBefore));
          declaredDead.push(row.id);
        } else {
          live.push(instanceFromRow(row));
        }
      }
      return { registered, live, declaredDead, vouched: registered };
    });
  }

  deregister({ id, now }: { id: string; now: number }): void {
    this.write(() => this.declareDead(id, now, now));
  }

  list(): InstanceRecord[] {
    return this.s.all.all({}).map(instanceFromRow);
  }

  /** Removes the instance and voids its leases (rules.ts voidLease). */
  private declareDead(id: string, now: number, ranBefore: number): void {
    this.s.remove.run({ id });
    this.s.voidLeases.run({ id, now, ran_before: ranBefore });
  }

  private write<R>(fn: () => R): R {
    return this.db.transaction(fn).immediate();
  }
}

/** Until when a dead instance may have started attempts (rules.ts mayHaveRunBefore). */
function ranBefore(row: InstanceRow, now: number, deadBefore: number): number {
  return mayHaveRunBefore(row.last_seen_at, now, deadBefore);
}

/** Silent since before `deadBefore`, or its process is gone from this host. */
function isDead(row: InstanceRow, deadBefore: number): boolean {
  if (row.last_seen_at < deadBefore) return true;
  return isGone({ host: row.host, bootId: row.boot_id, pid: row.pid, pidStart: row.pid_start });
}
