/**
 * The Postgres store's statements of the registry of live instances (the
 * contract: `../instances.ts`), with `@name` parameters like `sql.ts`.
 *
 * An instance is gone when no session holds its advisory lock
 * `(INSTANCE_LOCK_CLASS, lock_key)` in this database: its store takes the
 * lock on a connection of its own before the row is written
 * (`instance-lock.ts`), and the server releases it the moment that
 * connection ends — the process died, or the connection was cut.
 */

/** The first key of every instance's advisory lock: "chin" in ASCII (migrations lock with "chim"). */
export const INSTANCE_LOCK_CLASS = 0x6368696e;

/** True when no session holds the lock of the instance row `i`. */
const unlocked = (i: string) => `NOT EXISTS (
      SELECT 1 FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = ${INSTANCE_LOCK_CLASS}::int::oid AND l.objid = ${i}.lock_key::oid)`;

/** True when the instance row `i` is dead: silent since before `@dead_before`, or its lock is free. */
const dead = (i: string) => `(${i}.last_seen_at < @dead_before::bigint OR ${unlocked(i)})`;

const INSTANCE =
  'i.id, i.host, i.pid, i.version, i.started_at, i.capacity, i.last_seen_at, i.held, i.running';

/**
 * rules.ts voidLease for every execution leased by the instances of the
 * `gone` CTE (`g`), `ranBefore` being rules.ts mayHaveRunBefore as SQL over
 * `g`: a new token; a planned execution whose instant had not come is
 * released; one whose instant came is marked started (it may have run from
 * memory); those and the running ones have their lease expire. SET
 * expressions read the row as it was.
 */
const voidLeases = (s: string, ranBefore: string) => {
  const unrun = `e.status = 'scheduled' AND e.run_at >= ${ranBefore}`;
  const mayHaveRun = `e.status = 'scheduled' AND e.run_at < ${ranBefore}`;
  return `voided AS (
    UPDATE ${s}.executions e SET lease_token = e.lease_token + 1,
      lease_owner = CASE WHEN ${unrun} THEN NULL ELSE e.lease_owner END,
      lease_until = CASE WHEN ${unrun} THEN NULL ELSE @now::bigint - 1 END,
      attempt = CASE WHEN ${mayHaveRun} THEN e.attempt + 1 ELSE e.attempt END,
      started_at = CASE WHEN ${mayHaveRun} THEN e.run_at ELSE e.started_at END,
      status = CASE WHEN ${mayHaveRun} THEN 'running' ELSE e.status END
    FROM gone g, ${s}.work w
    WHERE w.held AND e.id = w.id AND e.lease_owner = g.id
    RETURNING e.id, e.run_at, e.has_work, e.lease_owner, e.lease_until
  ), revoked AS (
    UPDATE ${s}.work w SET held = v.lease_owner IS NOT NULL, lease_until = v.lease_until
    FROM voided v WHERE w.id = v.id)`;
};

/** rules.ts mayHaveRunBefore of the dead instance `g`. */
const RAN_BEFORE = `least(@now::bigint, g.last_seen_at + (@now::bigint - @dead_before::bigint))`;

/** The registry's statements for one (quoted) schema; `wake` is sql.ts's notification step. */
export function registrySqlOf(s: string, wake: (src: string, due: string, cond: string) => string) {
  const WOKE = '(SELECT count(*) FROM wake) AS woke';
  return {
    // The row of an id about to register, locked, with whether it is dead.
    instanceCurrent: `SELECT i.id, i.pid, i.host, i.last_seen_at, ${dead('i')} AS dead
      FROM ${s}.instances i WHERE i.id = @id FOR UPDATE`,
    instanceInsert: `INSERT INTO ${s}.instances (id, host, pid, version, started_at, capacity,
        last_seen_at, held, running, lock_key)
      VALUES (@id, @host, @pid, @version, @started_at, @capacity, @now, 0, 0, @lock_key)`,
    // One sign of life, answered with every registered instance, whether it is silent, and
    // whether its lock is free.
    instanceBeat: `WITH me AS (
        UPDATE ${s}.instances SET last_seen_at = @now::bigint, held = @held, running = @running
        WHERE id = @id RETURNING id
      )
      SELECT ${INSTANCE}, i.id <> @id::text AND i.last_seen_at < @dead_before::bigint AS silent,
        i.id <> @id::text AND ${unlocked('i')} AS unlocked, (SELECT count(*) FROM me) AS registered
      FROM ${s}.instances i ORDER BY i.id`,
    // Declares dead those of @ids that still are (an instance may have shown life since it was
    // seen silent); one statement, so the registry and the leases change together.
    instancesDeclareDead: `WITH gone AS (
        DELETE FROM ${s}.instances i WHERE i.id = ANY(@ids::text[]) AND ${dead('i')}
        RETURNING i.id, i.last_seen_at
      ), ${voidLeases(s, RAN_BEFORE)},
      ${wake('voided', 'run_at', 'lease_owner IS NULL AND has_work')}
      SELECT id, ${WOKE} FROM gone`,
    // A clean stop: the instance leaves, whatever it still leased is void.
    instanceDeregister: `WITH gone AS (
        DELETE FROM ${s}.instances WHERE id = @id RETURNING id
      ), ${voidLeases(s, '@now::bigint')},
      ${wake('voided', 'run_at', 'lease_owner IS NULL AND has_work')}
      SELECT ${WOKE}`,
    instancesList: `SELECT ${INSTANCE} FROM ${s}.instances i ORDER BY i.id`,
  };
}
