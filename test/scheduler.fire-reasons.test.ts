/**
 * Why a fire did not happen (issue 19, item 7), on every real store: the
 * ledger records the reason of every missed and skipped fire — a downtime past
 * the grace, beyond the catch-up cap, a busy job during a downtime (missed,
 * not skipped), a pause (recorded when the job resumes) — and shows it as the
 * execution's `reason`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  every,
  type Execution,
  type JobDefinition,
  type Scheduler,
  type SchedulerEvents,
} from '../src/index.js';
import { silent } from './helpers/scheduler.js';
import { storeCases } from './helpers/store-cases.js';
import { databaseOf, ledgerOf } from './helpers/stores.js';

const STORE_CASES = await storeCases('chime_reasons');

const final = (e: Execution) => e.status !== 'scheduled' && e.status !== 'running';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const storeCase of STORE_CASES) {
  describe.skipIf(!storeCase.available)(`fire reasons on the ${storeCase.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** Instances on one database, one after the other (a downtime between them). */
    function database() {
      const db = databaseOf(storeCase);
      cleanups.push(db.cleanup);
      return async (
        handler: () => unknown = () => undefined,
        watch: (s: Scheduler) => void = () => undefined,
      ): Promise<Scheduler> => {
        const s = createScheduler({ store: db.store(), logger: silent });
        s.setHandler(handler);
        watch(s);
        cleanups.push(() => s.stop({ timeoutMs: 0 }));
        await s.start();
        return s;
      };
    }

    /** Every execution of job `j`, oldest fire first, once `done` holds for them. */
    const ledger = (s: Scheduler, done: (executions: Execution[]) => boolean) =>
      ledgerOf(s, 'j', done);

    /** Fires every 500 ms from 300 ms from now, `count` of them. */
    function fires(count: number): JobDefinition['schedule'] {
      const startAt = Date.now() + 300;
      return every('500ms', {
        startAt: new Date(startAt),
        endAt: new Date(startAt + (count - 1) * 500 + 100),
      });
    }

    /**
     * Runs job `j` — `count` fires and `policies` — on a first instance for
     * `upMs`, stops it for `downMs`, starts a second one.
     */
    async function downtime(
      count: number,
      policies: Omit<JobDefinition, 'id' | 'schedule'>,
      upMs: number,
      downMs: number,
      watch?: (s: Scheduler) => void,
    ) {
      const instance = database();
      const first = await instance(() => {
        throw new Error('fails; retried in an hour');
      });
      await first.ensureJob({ id: 'j', schedule: fires(count), ...policies });
      await sleep(upMs);
      await first.stop({ timeoutMs: 0 });
      await sleep(downMs);
      return instance(undefined, watch);
    }

    it('a downtime past the grace under skip: every fire missed, reason downtime', async () => {
      const events: SchedulerEvents['fire:missed'][] = [];
      const watch = (second: Scheduler) => second.on('fire:missed', (e) => void events.push(e));
      const s = await downtime(4, { misfire: 'skip', misfireGrace: '200ms' }, 0, 2_500, watch);
      const executions = await ledger(s, (e) => e.length === 4 && e.every(final));
      expect(executions.map((e) => e.status)).toEqual(Array(4).fill('missed'));
      expect(events.map((e) => e.reason.code)).toEqual(Array(4).fill('downtime'));
      for (const e of executions) {
        expect(e.reason?.code).toBe('downtime');
        expect(e.reason?.message).toMatch(
          /past its misfire grace of 200 ms; misfire skip runs no late fire/,
        );
      }
    });

    it('catch_up beyond maxCatchUp: the older fires missed, reason catch_up_limit', async () => {
      const s = await downtime(
        4,
        { misfire: 'catch_up', maxCatchUp: 1, misfireGrace: '200ms' },
        0,
        2_500,
      );
      const executions = await ledger(s, (e) => e.length === 4 && e.every(final));
      expect(executions[3]?.status).toBe('succeeded');
      expect(executions.slice(0, 3).map((e) => [e.status, e.reason?.code])).toEqual(
        Array(3).fill(['missed', 'catch_up_limit']),
      );
      expect(executions[0]?.reason?.message).toContain('newest 1 late fires (maxCatchUp)');
    });

    it('a fire its busy job could not run during a downtime is missed, not skipped', async () => {
      const s = await downtime(
        2,
        {
          overlap: 'forbid',
          misfireGrace: '200ms',
          retry: { maxAttempts: 2, initialDelay: '1h' },
        },
        500, // the first fire fails and waits an hour for its retry: the job is busy
        2_000,
      );
      const [first, second] = await ledger(s, (e) => e[1]?.status !== 'scheduled');
      expect(first?.status).toBe('scheduled');
      expect(first?.attempts.map((a) => a.outcome)).toEqual(['failed']);
      expect(second?.status).toBe('missed');
      expect(second?.reason?.code).toBe('downtime');
      expect(second?.reason?.message).toContain('its job was busy until then');
      expect((await s.getJob('j'))?.stats).toMatchObject({ missed: 1, skipped: 0 });
    });

    it('the fires of a pause are recorded skipped, reason paused, when the job resumes', async () => {
      const s = await database()();
      await s.ensureJob({ id: 'j', schedule: every('500ms'), paused: true });
      const pausedAt = Date.parse((await s.getJob('j'))?.updatedAt ?? '');
      await sleep(2_200);
      await s.resumeJob('j');
      const resumedAt = Date.now();
      const executions = await ledger(s, (e) => e.length >= 4);
      const paused = executions.filter((e) => Date.parse(e.fireAt) < resumedAt);
      // Every 500 ms from the pause (its anchor) to the resume: 4 or 5 fires on a loaded machine.
      expect(paused.length).toBeGreaterThanOrEqual(4);
      expect(paused.length).toBe(Math.floor((resumedAt - pausedAt - 1) / 500) + 1);
      for (const e of paused) {
        expect(e.status).toBe('skipped');
        expect(e.reason?.code).toBe('paused');
        expect(Date.parse(e.fireAt)).toBeGreaterThanOrEqual(pausedAt);
      }
      expect((await s.getJob('j'))?.stats).toMatchObject({
        skipped: paused.length,
        succeeded: 0,
      });
      // The job runs again from its resume.
      await ledger(s, (e) => e.some((x) => x.status === 'succeeded'));
    });

    it("a pause's record is bounded by the job's keepLast: the newest fires", async () => {
      const s = await database()();
      await s.ensureJob({
        id: 'j',
        schedule: every('200ms'),
        paused: true,
        retention: { keepLast: 2 },
      });
      await sleep(1_500);
      const resuming = Date.now();
      await s.resumeJob('j');
      const resumedAt = Date.now();
      const executions = await ledger(s, (e) => e.length >= 2);
      const paused = executions.filter((e) => e.reason?.code === 'paused');
      expect(paused).toHaveLength(2);
      // The newest fire before the resume: within a period of the resume's instant.
      const newest = Date.parse(paused[1]?.fireAt ?? '');
      expect(newest).toBeGreaterThan(resuming - 200);
      expect(newest).toBeLessThan(resumedAt);
    });
  });
}
