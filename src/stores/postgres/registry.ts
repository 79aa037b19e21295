/**
 * The Postgres store's registry of live instances (the contract:
 * `../instances.ts`; statements: `registry-sql.ts`). Besides silence, a death
 * is told by the instance's advisory lock, released by the server when its
 * process dies (`instance-lock.ts`).
 */
import { ChimeError } from '../../errors.js';
import type { BeatResult, InstanceBeat, InstanceInfo, InstanceRecord } from '../instances.js';
import { instanceFromRow, type InstanceRow } from '../sql-rows.js';
import type { Database } from './connection.js';
import type { InstanceLocks } from './instance-lock.js';
import type { Value } from './sql.js';

/**
 * How long a free lock must stay free before its instance is declared dead:
 * a process that lives takes its lock again this fast after its connection
 * was cut (`instance-lock.ts`), and must not be declared dead for the cut.
 */
export const LOCK_GRACE_MS = 750;

/** The registry of one store. */
export class PostgresRegistry {
  constructor(
    private readonly db: Database,
    private readonly locks: InstanceLocks,
    private readonly notify: () => Record<string, Value>,
  ) {}

  /** Takes the instance's lock, then — in one transaction — replaces a dead registration and writes its own. */
  async register(params: {
    instance: InstanceInfo;
    now: number;
    deadBefore: number;
  }): Promise<void> {
    const { instance, now, deadBefore } = params;
    let key: number;
    try {
      key = await this.locks.acquire();
    } catch (err) {
      throw this.db.unavailable('take an instance lock', err);
    }
    try {
      await this.db.batch('register an instance', true, async (run) => {
        type Current = { pid: number; host: string; last_seen_at: number; dead: boolean };
        const [current] = (
          await run<Current>('instanceCurrent', { id: instance.id, dead_before: deadBefore })
        ).rows;
        if (current && !current.dead) throw idTaken(instance.id, current, now);
        if (current) {
          const values = { ids: [instance.id], now, dead_before: deadBefore, ...this.notify() };
          await run('instancesDeclareDead', values);
        }
        await run('instanceInsert', {
          id: instance.id,
          host: instance.host,
          pid: instance.pid,
          version: instance.version,
          started_at: instance.startedAt,
          capacity: instance.capacity,
          now,
          lock_key: key,
        });
      });
    } catch (err) {
      await this.locks.unlock(key);
      throw err;
    }
    await this.locks.settle(instance.id, key);
  }

  /**
   * One sign of life; declares dead the others found dead, in a second
   * statement when there are any — silent ones at once, those whose lock is
   * free after {@link LOCK_GRACE_MS} (the statement checks again).
   */
  async beat(beat: InstanceBeat): Promise<BeatResult> {
    type Row = InstanceRow & { silent: boolean; unlocked: boolean; registered: number };
    const values = {
      id: beat.id,
      now: beat.now,
      held: beat.held,
      running: beat.running,
      dead_before: beat.deadBefore,
    };
    const { rows } = await this.db.query<Row>('show a sign of life', 'instanceBeat', values);
    const registered = rows.some((row) => Number(row.registered) > 0);
    const suspects = rows.filter((row) => row.silent || row.unlocked).map((row) => row.id);
    let declaredDead: string[] = [];
    if (suspects.length > 0) {
      if (rows.some((row) => row.unlocked && !row.silent)) await sleep(LOCK_GRACE_MS);
      const declare = { ids: suspects, now: beat.now, dead_before: beat.deadBefore };
      const result = await this.db.query<{ id: string }>(
        'declare instances dead',
        'instancesDeclareDead',
        {
          ...declare,
          ...this.notify(),
        },
      );
      declaredDead = result.rows.map((row) => row.id);
    }
    // A silent one is out of the live set even when a concurrent beat declared it first.
    const live = rows
      .filter((row) => !declaredDead.includes(row.id) && !row.silent)
      .filter((row) => row.id !== beat.id || registered)
      .map((row) => recordOf(row, row.id === beat.id ? beat : undefined));
    return { registered, live, declaredDead, vouched: registered && this.locks.holds(beat.id) };
  }

  /** Whether this process holds the instance's lock right now. */
  vouched(id: string): boolean {
    return this.locks.holds(id);
  }

  async deregister({ id, now }: { id: string; now: number }): Promise<void> {
    await this.db.query('deregister an instance', 'instanceDeregister', {
      id,
      now,
      ...this.notify(),
    });
    await this.locks.release(id);
  }

  async list(): Promise<InstanceRecord[]> {
    const { rows } = await this.db.query<InstanceRow>('list instances', 'instancesList', {}, true);
    return rows.map((row) => recordOf(row));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function idTaken(
  id: string,
  current: { pid: number; host: string; last_seen_at: number },
  now: number,
): ChimeError {
  return new ChimeError(
    'CHIME_ERR_INSTANCE_ID_TAKEN',
    `a live instance is registered as "${id}" (pid ${current.pid} on ${current.host}, last sign of life ${now - Number(current.last_seen_at)} ms ago)`,
  );
}

/** A row as a record; this instance's own row shows the beat it just wrote. */
function recordOf(row: InstanceRow, beat?: InstanceBeat): InstanceRecord {
  const record = instanceFromRow(row);
  if (beat) Object.assign(record, { lastSeenAt: beat.now, held: beat.held, running: beat.running });
  return record;
}
