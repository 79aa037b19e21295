/**
 * The overlap policies beyond allow (issue 19, item 3), on every real store:
 * `forbid` skips with a reason, `replace` cancels the running execution
 * through its signal and records it `cancelled`, `buffer_one` lets one fire
 * wait for the running one and skips the rest — each with its reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  every,
  isChimeError,
  type Execution,
  type Scheduler,
} from '../src/index.js';
import { collect, until } from './helpers/events.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';
import { databaseOf, ledgerOf } from './helpers/stores.js';

const STORE_CASES = await storeCases('chime_overlap');

for (const storeCase of STORE_CASES) {
  describe.skipIf(!storeCase.available)(`overlap policies on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function started(): Promise<Scheduler> {
      const database = databaseOf(storeCase);
      cleanups.push(database.cleanup);
      const s = createScheduler({ store: database.store(), logger: silent });
      cleanups.push(() => s.stop({ timeoutMs: 0 }));
      await s.start();
      return s;
    }

    /** Every execution of job `j`, oldest fire first, once `done` holds for them. */
    const ledger = (s: Scheduler, done: (executions: Execution[]) => boolean) =>
      ledgerOf(s, 'j', done);

    /** Three fires, 1 s apart, from 300 ms from now. */
    const threeFires = () => {
      const startAt = Date.now() + 300;
      return every('1s', { startAt: new Date(startAt), endAt: new Date(startAt + 2_500) });
    };

    it('forbid: a fire while the first runs is skipped, with the reason', async () => {
      const s = await started();
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      s.setHandler(async () => {
        if (calls++ === 0) await blocked;
      });
      const events = collect(s, 'fire:skipped');
      await s.ensureJob({ id: 'j', schedule: threeFires(), overlap: 'forbid' });
      const [, second] = await ledger(s, (e) => e[1]?.status === 'skipped');
      release();
      expect(events.find((e) => e.executionId === second?.id)?.reason.code).toBe('overlap');
      expect(second?.reason).toEqual({
        code: 'overlap',
        message: 'an earlier execution of its job was unfinished (overlap forbid)',
      });
      expect(second?.error).toBeUndefined();
    });

    it("replace: the running attempt's signal aborts, it is recorded cancelled, the new fire runs", async () => {
      const s = await started();
      const aborts: unknown[] = [];
      let calls = 0;
      s.setHandler(async (ctx) => {
        if (calls++ > 0) return 'ran';
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        aborts.push(ctx.signal.reason);
        return 'not recorded';
      });
      await s.ensureJob({ id: 'j', schedule: threeFires(), overlap: 'replace' });
      const [first, second] = await ledger(s, (e) => e[1]?.status === 'succeeded');
      expect(aborts).toHaveLength(1);
      expect(isChimeError(aborts[0], 'CHIME_ERR_REPLACED')).toBe(true);
      expect(first?.status).toBe('cancelled');
      expect(first?.reason?.code).toBe('replaced');
      expect(first?.reason?.message).toContain(second?.id);
      expect(first?.attempts.map((a) => a.outcome)).toEqual(['cancelled']);
      expect(first?.result).toBeUndefined();
      expect(second?.result).toBe('ran');
      // Cancelled is not a run: the job's statistics count the fires that ran.
      await until(async () => (await s.getJob('j'))?.stats.succeeded === 2, 5_000);
      expect((await s.getJob('j'))?.stats).toMatchObject({ failed: 0, skipped: 0, missed: 0 });
    });

    it('replace: a retry that waits when a newer fire starts is cancelled, not run', async () => {
      const s = await started();
      const fires: number[] = [];
      s.setHandler((ctx) => {
        fires.push(ctx.fireAt.getTime());
        if (fires.length === 1) throw new Error('first attempt fails');
      });
      await s.ensureJob({
        id: 'j',
        schedule: threeFires(),
        overlap: 'replace',
        retry: { maxAttempts: 3, backoff: 'fixed', initialDelay: '1500ms', jitter: false },
      });
      const [first, second] = await ledger(
        s,
        (e) => e[0]?.status === 'cancelled' && e[2]?.status === 'succeeded',
      );
      expect(first?.attempts.map((a) => a.outcome)).toEqual(['failed']);
      expect(first?.reason?.code).toBe('replaced');
      expect(second?.status).toBe('succeeded');
      // The first fire ran once: its retry was cancelled by the newer fire.
      expect(fires.filter((f) => f === Date.parse(first?.fireAt ?? ''))).toHaveLength(1);
    });

    it('buffer_one: one fire waits for the running one and then runs, the next is skipped', async () => {
      const s = await started();
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const runs: { fireAt: number; at: number }[] = [];
      s.setHandler(async (ctx) => {
        if (runs.length === 0) await blocked;
        runs.push({ fireAt: ctx.fireAt.getTime(), at: Date.now() });
      });
      await s.ensureJob({ id: 'j', schedule: threeFires(), overlap: 'buffer_one' });
      await ledger(s, (e) => e[2]?.status === 'skipped');
      const releasedAt = Date.now();
      release();
      const [first, second, third] = await ledger(s, (e) => e[1]?.status === 'succeeded');
      expect(first?.status).toBe('succeeded');
      expect(second?.reason?.code).toBe('buffered');
      expect(third?.reason?.code).toBe('buffer_full');
      expect(third?.reason?.message).toContain(second?.fireAt);
      // The buffered fire ran after the first ended, within a wait of the buffer's re-check.
      expect(runs.map((r) => r.fireAt)).toEqual(
        [first, second].map((e) => Date.parse(e?.fireAt ?? '')),
      );
      const buffered = runs[1]?.at ?? Infinity;
      expect(buffered).toBeGreaterThanOrEqual(releasedAt);
      expect(buffered - releasedAt).toBeLessThan(5_000);
      expect((await s.getJob('j'))?.stats).toMatchObject({ succeeded: 2, skipped: 1 });
    });
  });
}
