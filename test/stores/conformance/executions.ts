import { describe, expect, test } from 'vitest';
import type { ExecutionRecord } from '../../../src/stores/store.js';
import { T0, makeAttempt, makeExecutionRecord } from '../records.js';
import {
  MIN,
  LEASE,
  type Fixture,
  addJob,
  addExecution,
  mustGet,
  mustGetJob,
  ids,
  newestFirst,
  definitionWith,
} from './fixture.js';

// ------------------------------------------------------------ executions

const JSON_VALUES: Record<string, unknown> = {
  nested: { a: { b: [1, 2, { c: null, d: [] }] }, t: true, f: false, n: -1.5e-7, big: 2 ** 53 - 1 },
  unicode: 'Grüße 你好 😀 e\u0301 "quoted" \\ back\nline\ttab \u2028',
  null: null,
  emptyString: '',
  zero: 0,
  emptyArray: [],
  emptyObject: {},
  array: [{ ключ: 'значение' }, 'x', 3.25],
};

export function executionTests(fx: Fixture): void {
  describe('executions', () => {
    test('executionInsert then executionGet returns every field as given', async () => {
      const job = await addJob(fx.store);
      const e = makeExecutionRecord({
        jobId: job.id,
        fireAt: T0,
        runAt: T0 + 250,
        trigger: 'manual',
        status: 'failed',
        attempt: 2,
        payload: { p: 1 },
        leaseOwner: 'instance-a',
        leaseUntil: T0 + LEASE,
        leaseToken: 4,
        attempts: [
          makeAttempt({
            attempt: 1,
            outcome: 'timed_out',
            error: { message: 'late', code: 'CHIME_ERR_ATTEMPT_TIMEOUT' },
          }),
          makeAttempt({
            attempt: 2,
            outcome: 'failed',
            error: { message: 'boom', name: 'TypeError' },
          }),
        ],
        result: { partial: true },
        error: { message: 'boom', name: 'TypeError' },
        onFailure: 'pending',
        createdAt: T0 - 5,
        startedAt: T0 + 300,
        finishedAt: T0 + 900,
      });
      await fx.store.executionInsert({ execution: e });
      expect(await fx.store.executionGet({ id: e.id })).toEqual(e);
    });

    test('executionGet returns null for an unknown id', async () => {
      expect(await fx.store.executionGet({ id: 'nope' })).toBeNull();
    });

    test('executionInsert keeps the first record under a taken id', async () => {
      const job = await addJob(fx.store);
      const e = await addExecution(fx.store, { jobId: job.id, trigger: 'manual' });
      await fx.store.executionInsert({
        execution: { ...e, fireAt: T0 + MIN, status: 'cancelled' },
      });
      expect(await fx.store.executionGet({ id: e.id })).toEqual(e);
    });

    test('executionInsert stores nothing for an unknown job', async () => {
      const e = makeExecutionRecord({ jobId: 'ghost', trigger: 'manual' });
      // Whether it throws is the store's choice; an orphan execution is not.
      await fx.store.executionInsert({ execution: e }).catch(() => undefined);
      expect(await fx.store.executionGet({ id: e.id })).toBeNull();
    });

    test('payloads and results round-trip as JSON; absent stays absent, null stays null', async () => {
      for (const [label, value] of Object.entries(JSON_VALUES)) {
        const job = await addJob(fx.store, { definition: definitionWith(value) });
        const e = await addExecution(fx.store, {
          jobId: job.id,
          trigger: 'manual',
          payload: value,
          result: value,
        });
        expect((await mustGetJob(fx.store, job.id)).definition.payload, label).toEqual(value);
        const read = await mustGet(fx.store, e.id);
        expect(read.payload, label).toEqual(value);
        expect(read.result, label).toEqual(value);
      }
      const job = await addJob(fx.store);
      const bare = await addExecution(fx.store, { jobId: job.id, trigger: 'manual' });
      const withNull = await addExecution(fx.store, {
        jobId: job.id,
        trigger: 'manual',
        payload: null,
      });
      const bareRead = await mustGet(fx.store, bare.id);
      expect(bareRead.payload).toBeUndefined();
      expect(bareRead.result).toBeUndefined();
      expect(bareRead.error).toBeUndefined();
      expect((await mustGet(fx.store, withNull.id)).payload).toBeNull();
      expect((await mustGetJob(fx.store, job.id)).definition.payload).toBeUndefined();
    });

    test('executionsList returns newest first by (fireAt, id), with filters and a limit', async () => {
      const { store } = fx;
      const a = await addJob(store);
      const b = await addJob(store);
      const all = [
        await addExecution(store, { jobId: a.id, fireAt: T0, trigger: 'manual' }),
        await addExecution(store, {
          jobId: a.id,
          fireAt: T0,
          trigger: 'manual',
          status: 'succeeded',
        }),
        await addExecution(store, { jobId: a.id, fireAt: T0, status: 'succeeded' }),
        await addExecution(store, { jobId: a.id, fireAt: T0 + MIN }),
        await addExecution(store, { jobId: a.id, fireAt: T0 - MIN, status: 'failed' }),
        await addExecution(store, { jobId: b.id, fireAt: T0 + 30_000, status: 'succeeded' }),
        await addExecution(store, { jobId: b.id, fireAt: T0 - 2 * MIN }),
      ].sort(newestFirst);

      expect(ids(await store.executionsList({ limit: 100 }))).toEqual(ids(all));
      expect(ids(await store.executionsList({ limit: 3 }))).toEqual(ids(all.slice(0, 3)));
      expect(ids(await store.executionsList({ jobId: a.id, limit: 100 }))).toEqual(
        ids(all.filter((e) => e.jobId === a.id)),
      );
      expect(ids(await store.executionsList({ status: 'succeeded', limit: 100 }))).toEqual(
        ids(all.filter((e) => e.status === 'succeeded')),
      );
      expect(
        ids(await store.executionsList({ jobId: a.id, status: 'succeeded', limit: 1 })),
      ).toEqual(ids(all.filter((e) => e.jobId === a.id && e.status === 'succeeded').slice(0, 1)));
      expect(await store.executionsList({ jobId: 'nope', limit: 10 })).toEqual([]);
    });

    test('executionsList pages with the `before` cursor, also across equal fireAt', async () => {
      const { store } = fx;
      const job = await addJob(store);
      const other = await addJob(store);
      const all: ExecutionRecord[] = [];
      for (const fireAt of [T0, T0, T0, T0 + MIN, T0 - MIN, T0 - MIN]) {
        all.push(await addExecution(store, { jobId: job.id, fireAt, trigger: 'manual' }));
      }
      await addExecution(store, { jobId: other.id, fireAt: T0, trigger: 'manual' });
      all.sort(newestFirst);

      const walked: string[] = [];
      let before: { fireAt: number; id: string } | undefined;
      for (let pages = 0; pages <= all.length; pages++) {
        const page = await store.executionsList({ jobId: job.id, limit: 2, before });
        walked.push(...ids(page));
        const last = page[page.length - 1];
        if (page.length < 2 || !last) break;
        before = { fireAt: last.fireAt, id: last.id };
      }
      expect(walked).toEqual(ids(all));

      const pivot = all[2];
      if (!pivot) throw new Error('unreachable');
      const older = await store.executionsList({ jobId: job.id, limit: 100, before: pivot });
      expect(ids(older)).toEqual(ids(all.slice(3)));
    });
  });
}
