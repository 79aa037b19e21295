/**
 * `ensureJob` of a definition a store already has writes nothing, on every
 * real store (memory, SQLite, Postgres, NATS): the store keeps no hash of
 * it, so the scheduler compares the definition it reads back — Postgres's
 * compact form (defaults left out, a one-shot's instant in epoch ms), the
 * NATS document — with the one given. Any field changed is written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, cron, every, once, type JobDefinition } from '../src/index.js';
import { natsStore } from '../src/stores/nats/index.js';
import { countingStore } from './helpers/counting-store.js';
import { silent } from './helpers/scheduler.js';
import { SERVICES, serviceAvailable } from './helpers/services.js';
import { storeCases, type StoreMade } from './helpers/store-cases.js';
import { dropPrefix, freshPrefix } from './stores/nats-fixture.js';

const cases: { name: string; available: boolean; make: () => StoreMade }[] = [
  ...(await storeCases('chime_same')),
  {
    name: 'nats',
    available: await serviceAvailable('nats'),
    make: () => {
      const prefix = freshPrefix();
      return {
        store: natsStore({ servers: SERVICES.nats.url, prefix }),
        cleanup: () => dropPrefix(prefix),
      };
    },
  },
];

const http = (url: string) => ({
  type: 'http' as const,
  url,
  method: 'POST' as const,
  headers: { 'x-team': 'ops' },
});

/** Jobs in the forms a store may keep differently from how they are given. */
const JOBS: JobDefinition[] = [
  {
    id: 'full',
    schedule: cron('0 3 * * *', { tz: 'Europe/Berlin' }),
    target: http('https://example.com/hook'),
    payload: { n: [1, 'two', null, { deep: true }] },
    metadata: { team: 'ops' },
    retry: { maxAttempts: 5, backoff: 'fixed', initialDelay: '1s' },
    timeout: '30s',
    misfire: 'catch_up',
    maxCatchUp: 3,
    overlap: 'forbid',
    jitter: '2s',
    onFailure: { type: 'handler', name: 'alert' },
    retention: { keepLast: 50 },
    staleAfter: '2d',
  },
  // Defaults left out in Postgres's row; the instant in epoch ms there.
  { id: 'once', schedule: once('2031-01-01T00:00:00.000Z') },
  { id: 'once-odd', schedule: once('2031-01-01T00:00:00Z'), target: { type: 'handler' } },
  { id: 'anchored', schedule: every('5m'), metadata: {} },
];

/** Changes of `full`, one field each, every one of them a new version. */
const CHANGES: [string, (job: JobDefinition) => JobDefinition][] = [
  ['target', (job) => ({ ...job, target: http('https://example.com/other') })],
  ['retry', (job) => ({ ...job, retry: { ...job.retry, maxAttempts: 6 } })],
  ['metadata', (job) => ({ ...job, metadata: { team: 'ops', tier: '1' } })],
  ['schedule', (job) => ({ ...job, schedule: cron('0 4 * * *', { tz: 'Europe/Berlin' }) })],
  ['timezone', (job) => ({ ...job, schedule: cron('0 4 * * *', { tz: 'Europe/Paris' }) })],
  ['payload', (job) => ({ ...job, payload: { n: [1, 'two', null, { deep: false }] } })],
  ['onFailure', (job) => ({ ...job, onFailure: { type: 'handler', name: 'page' } })],
  ['a field removed', ({ jitter: _, ...job }) => job],
];

for (const storeCase of cases) {
  describe.skipIf(!storeCase.available)(
    `an unchanged ensure on the ${storeCase.name} store`,
    () => {
      const cleanups: (() => Promise<void>)[] = [];
      afterEach(async () => {
        for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      });

      async function started() {
        const made = storeCase.make();
        const { store, calls } = countingStore(made.store);
        const s = createScheduler({ store, logger: silent });
        s.setHandler(() => undefined);
        cleanups.push(made.cleanup, async () => {
          await s.stop({ timeoutMs: 0 });
          await made.store.close();
        });
        await s.start();
        return { s, writes: () => calls.get('jobsWrite') ?? 0 };
      }

      it('writes nothing and bumps no version, however the store keeps the definition', async () => {
        const { s, writes } = await started();
        const changed: string[] = [];
        s.on('job:changed', (event) => void changed.push(event.jobId));
        const first = await s.ensureJobs(JOBS);
        const before = writes();
        const again = await s.ensureJobs(structuredClone(JOBS));
        for (const job of JOBS)
          expect(await s.ensureJob(structuredClone(job))).toMatchObject({ version: 1 });
        expect(writes()).toBe(before);
        expect(again).toEqual(first);
        expect(changed).toEqual([]);
        expect((await s.apply(JOBS)).unchanged).toEqual(JOBS.map((job) => job.id));
      });

      it('writes a change of any field: a new version each, then nothing for the same again', async () => {
        const { s, writes } = await started();
        let job = JOBS[0] as JobDefinition;
        await s.ensureJob(job);
        for (const [i, [field, change]] of CHANGES.entries()) {
          job = change(job);
          expect((await s.ensureJob(job)).version, field).toBe(i + 2);
          const count = writes();
          expect((await s.ensureJob(structuredClone(job))).version, field).toBe(i + 2);
          expect(writes(), field).toBe(count);
        }
      });
    },
  );
}
