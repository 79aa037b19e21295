/**
 * `overlap: 'replace'` across two instances on one Postgres schema: the new
 * fire runs on one instance, the attempt it replaces on the other. The
 * cancel reaches that instance at its next lease renewal (every `leaseMs / 3`):
 * its attempt's signal aborts with CHIME_ERR_REPLACED, and the ledger
 * records the execution `cancelled` with its reason, its attempt's outcome
 * `cancelled`, the new one `succeeded` on the other instance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, every, isChimeError, type Scheduler } from '../src/index.js';
import { shardOf } from '../src/stores/rules.js';
import { until } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';
import { databaseOf } from './helpers/stores.js';

const postgres = (await storeCases('chime_replace')).find((c) => c.name === 'postgres');
const LEASE_MS = 3_000;

/** A job id in the upper half of the shards: the second of two instances (by id) plans it. */
function upperHalfJobId(): string {
  for (let i = 0; ; i++) if (shardOf(`replace-${i}`) >= 40_000) return `replace-${i}`;
}

describe.skipIf(!postgres?.available)('overlap replace across two Postgres instances', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('cancels the attempt running on the other instance through its signal and records it cancelled', async () => {
    const database = databaseOf(postgres as NonNullable<typeof postgres>);
    cleanups.push(database.cleanup);
    const instance = (id: string): Scheduler => {
      const s = createScheduler({
        store: database.store(),
        instanceId: id,
        heartbeatMs: 200,
        leaseMs: LEASE_MS,
        logger: silent,
      });
      cleanups.push(() => s.stop({ timeoutMs: 0 }));
      return s;
    };
    const jobId = upperHalfJobId();
    const a = instance('a-replace');
    let startedOnA = false;
    let abortedOnA: { reason: unknown; at: number } | undefined;
    a.setHandler(async (ctx) => {
      startedOnA = true;
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      abortedOnA = { reason: ctx.signal.reason, at: Date.now() };
    });
    await a.start();
    const startAt = Date.now() + 500;
    await a.ensureJob({
      id: jobId,
      schedule: every('6s', { startAt: new Date(startAt), endAt: new Date(startAt + 7_000) }),
      overlap: 'replace',
    });
    await until(() => startedOnA, 5_000, 'the first fire to start on a');

    // b joins: its share (the upper half of the shards) holds the job; it plans the next fire.
    const b = instance('b-replace');
    b.setHandler(() => 'ran on b');
    await b.start();
    await until(() => abortedOnA !== undefined, 15_000, 'the attempt on a to be aborted');

    const [second, first] = (await b.listExecutions({ jobId })).items;
    expect(isChimeError(abortedOnA?.reason, 'CHIME_ERR_REPLACED')).toBe(true);
    expect(first?.status).toBe('cancelled');
    expect(first?.reason?.code).toBe('replaced');
    expect(first?.attempts.map((t) => [t.owner, t.outcome])).toEqual([['a-replace', 'cancelled']]);
    await until(
      async () => (await b.getExecution(second?.id ?? ''))?.status === 'succeeded',
      5_000,
      'the new fire to succeed',
    );
    const ran = await b.getExecution(second?.id ?? '');
    expect(ran?.attempts.map((t) => t.owner)).toEqual(['b-replace']);
    // The cancel reached a at a lease renewal: within a renewal period (and slack) of the new start.
    const newStart = Date.parse(ran?.attempts[0]?.startedAt ?? '');
    expect((abortedOnA?.at ?? Infinity) - newStart).toBeLessThan(LEASE_MS / 3 + 1_500);
  });
});
