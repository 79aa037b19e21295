/**
 * The Postgres store's plans (`plan-writes.ts`): fires inserted by a plain
 * INSERT, which writes no speculative insertion's confirmation; a plan that
 * meets a taken fire runs again skipping it, alone or in a transaction of
 * several statements. One execution per fire: the conformance suite.
 */
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { statementsFor } from '../../src/stores/postgres/sql.js';
import { SERVICES, serviceAvailable } from '../helpers/services.js';
import { updateJob } from '../helpers/jobs.js';
import { addJob, leased, plan } from './conformance/fixture.js';
import { postgresStores } from './postgres-fixture.js';
import { T0, makeExecutionRecord } from './records.js';

const MIN = 60_000;
const available = await serviceAvailable('postgres');

describe.skipIf(!available)('postgres plans', () => {
  const admin = new pg.Pool({ connectionString: SERVICES.postgres.url, max: 2 });
  admin.on('error', () => undefined);
  afterAll(() => admin.end());
  const { openStore } = postgresStores(admin);

  test('the fires of a plan are inserted without ON CONFLICT; a plan that meets a taken fire runs once more, skipping it', async () => {
    const statements = statementsFor('chime');
    expect(statements.jobsAdvance.text).not.toContain('ON CONFLICT');
    expect(statements.jobsAdvanceSkipping.text).toContain('ON CONFLICT DO NOTHING');

    const store = await openStore();
    const job = await addJob(store);
    const first = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('a', 1) });
    let before = store.usage().statements;
    expect(await store.jobsAdvance({ plans: [plan(job, { executions: [first] })] })).toMatchObject({
      applied: [job.id],
      claims: [{ execution: first }],
    });
    expect(store.usage().statements - before).toBe(1);

    // The job moved back: its next plan makes the fire of T0 again, and one of T0 + 1 min.
    const moved = { ...job, version: 2 };
    await updateJob(store, { job: moved, expectedVersion: 1, dropPlanned: false });
    const again = makeExecutionRecord({ jobId: job.id, fireAt: T0, ...leased('b', 1) });
    const next = makeExecutionRecord({ jobId: job.id, fireAt: T0 + MIN, ...leased('b', 1) });
    before = store.usage().statements;
    const replanned = await store.jobsAdvance({
      plans: [plan(moved, { executions: [again, next], nextFireAt: T0 + 2 * MIN })],
    });
    expect(replanned).toMatchObject({ applied: [job.id], claims: [{ execution: next }] });
    expect(replanned.claims).toHaveLength(1);
    expect(store.usage().statements - before).toBe(2);
    expect(await store.executionGet({ id: again.id })).toBeNull();
    expect(await store.jobGet({ id: job.id })).toMatchObject({ nextFireAt: T0 + 2 * MIN });
  });

  test('a batch of several statements that meets a taken fire is rolled back and applied whole once more', async () => {
    const store = await openStore();
    const a = await addJob(store);
    const b = await addJob(store);
    const taken = makeExecutionRecord({ jobId: b.id, fireAt: T0 });
    await store.executionInsert({ execution: taken });
    const fireOf = (jobId: string, fireAt: number) =>
      makeExecutionRecord({ jobId, fireAt, ...leased('a', 1) });
    const [a1, a2, b1] = [fireOf(a.id, T0), fireOf(a.id, T0 + MIN), fireOf(b.id, T0)];
    // Two plans of job a (the second from the state the first leaves): two statements, one transaction.
    const result = await store.jobsAdvance({
      plans: [
        plan(a, { executions: [a1] }),
        plan(b, { executions: [b1] }),
        plan(a, { expectedNextFireAt: T0 + MIN, nextFireAt: T0 + 2 * MIN, executions: [a2] }),
      ],
    });
    expect(result.applied).toEqual([a.id, b.id, a.id]);
    expect(result.claims.map((c) => c.execution.id)).toEqual([a1.id, a2.id]);
    expect(await store.executionGet({ id: b1.id })).toBeNull();
    expect(await store.executionGet({ id: taken.id })).toMatchObject({ id: taken.id });
    expect(await store.jobGet({ id: a.id })).toMatchObject({ nextFireAt: T0 + 2 * MIN });
    expect(await store.jobGet({ id: b.id })).toMatchObject({ nextFireAt: T0 + MIN });
  });
});
