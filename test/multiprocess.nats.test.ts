/**
 * Scheduler processes on a three-node NATS cluster (`helpers/nats-cluster.ts`,
 * buckets with 3 replicas): exactly once per fire across 4 processes, with
 * one process SIGKILLed mid-run (its fires taken over, same execution ids),
 * and with one NATS server — the one leading the jobs bucket — SIGKILLed
 * mid-run and started again. The handlers' own count (`workers/store-instance.ts`
 * record files) is the judge; the figures are printed for the lead to quote.
 * One cluster serves the file, each test on a bucket prefix of its own.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { natsStore } from '../src/index.js';
import type { Store } from '../src/stores/store.js';
import { tempDir } from './helpers/files.js';
import { insertEverySecond } from './helpers/jobs.js';
import { startNatsCluster, type NatsCluster } from './helpers/nats-cluster.js';
import {
  callsByFire,
  expectEveryFireOnce,
  readRecords,
  type HandlerCall,
} from './helpers/takeover.js';
import {
  errorsOf,
  range,
  sleepUntil,
  spawnWorker,
  stopWorker,
  type Worker,
} from './helpers/store-workers.js';
import { until } from './helpers/events.js';
import { dropPrefix, freshPrefix } from './stores/nats-fixture.js';
import { makeJobRecord } from './stores/records.js';
import type { StoreWorkerConfig } from './workers/store-instance.js';

const JOBS = 300;
const FIRES = 20;
/**
 * Workers' registry timing: a silent instance is dead after 4 s. NATS has no
 * lock that tells a death sooner; a live instance's signs of life come from a
 * thread of their own, which a loaded main thread does not hold up.
 */
const REGISTRY = { heartbeatMs: 1_000, deadAfterMs: 4_000 };
/** Lag p99 (ms) a run must be back under after a disruption, on a loaded 2-core machine. */
const LAG_AFTER_MS = 2_000;
/**
 * Lag p99 (ms) of the fires due from 3 s after a server kill's new leader:
 * the catch-up shares the 2 cores with three servers, four processes and, in
 * CI, other test files (0.8–1.8 s measured, 7 December).
 */
const LEADER_LAG_AFTER_MS = 3_000;

let cluster: NatsCluster | undefined;
const hasServer = await import('node:child_process').then(
  ({ spawnSync }) => spawnSync('nats-server', ['--version']).status === 0,
);
if (!hasServer) console.warn('SKIPPED: no nats-server binary on the PATH');
/** The horizon the docs recommend on a NATS cluster: longer than a stream leader's election (4–9 s). */
const CLUSTER_HORIZON_MS = 10_000;
/**
 * `CHIME_NATS_TRACE=1`: the workers' store calls over 300 ms and their errors
 * are printed after a run, and what the store holds of the fires not run.
 */
const trace = process.env['CHIME_NATS_TRACE'] === '1';
/** `CHIME_NATS_HORIZON_MS`: the workers' horizon (the scheduler's default when unset). */
const horizonMs = Number(process.env['CHIME_NATS_HORIZON_MS'] ?? 0);

describe.skipIf(!hasServer)('scheduler processes on a three-node NATS cluster', () => {
  const workers: Worker[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];
  beforeAll(async () => {
    cluster = await startNatsCluster(3);
  }, 60_000);
  afterAll(async () => cluster?.stop());
  afterEach(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.splice(0).map((w) => w.exited));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A fresh prefix, a temp dir, an open store for the test's own use, 300 jobs every second from t0. */
  async function setup(names: string[], shared: Partial<StoreWorkerConfig> = {}) {
    const servers = cluster?.servers ?? [];
    const prefix = freshPrefix();
    // The next test's server kill would have every stream left here elect a leader and catch up.
    cleanups.push(() => dropPrefix(prefix, servers));
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = natsStore({ servers, prefix, replicas: 3 });
    cleanups.push(() => store.close());
    await store.open();
    const recordFile = (name: string) => join(dir, `${name}.jsonl`);
    const start = (name: string, options: Partial<StoreWorkerConfig> = {}) => {
      const worker = spawnWorker({
        // Requests to a killed server fail after 3 s, not the default 10 s.
        nats: { servers, prefix, replicas: 3, timeoutMs: 3_000 },
        instanceId: name,
        recordFile: recordFile(name),
        events: ['error', 'lease:lost', 'instance:dead'],
        ...(trace ? { traceSlowMs: 300 } : {}),
        ...REGISTRY,
        ...(horizonMs > 0 ? { horizonMs } : {}),
        ...shared,
        ...options,
      });
      workers.push(worker);
      return worker;
    };
    for (const name of names) start(name);
    await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'ready')));
    const ids = range(JOBS).map((i) => `tick-${i}`);
    const t0 = Math.ceil((Date.now() + 4_000) / 1000) * 1000;
    await insertEverySecond(store, ids, t0);
    expect(Date.now()).toBeLessThan(t0); // every instance up, every job in, before the first fire
    return { prefix, store, ids, t0, recordFile, start };
  }

  it('4 processes, 300 jobs every second for 20 s: every (job, fireAt) run exactly once', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const { store, ids, t0, recordFile } = await setup(names);
    await sleepUntil(t0 + (FIRES - 1) * 1000 + 600);
    await Promise.all(workers.map(stopWorker));

    const records = readRecords(names.map(recordFile));
    const figures = report('steady', workers, records, ids, t0, t0 + (FIRES - 1) * 1000);
    if (trace || figures.missed > 0)
      await traceMissed(store, records, ids, t0, t0 + (FIRES - 2) * 1000);
    expect.soft(errorsOf(workers)).toEqual({});
    expect([...callsByFire(records)].filter(([, calls]) => calls.length > 1)).toEqual([]);
    expectEveryFireOnce(records, ids, t0, t0 + (FIRES - 2) * 1000, '');
    for (const name of names) expect(records.some((r) => r.instance === name)).toBe(true);
  }, 60_000);

  it('one of 4 processes SIGKILLed mid-run: its fires are taken over within seconds, same execution ids, none lost or run twice', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const { ids, t0, recordFile } = await setup(names);
    await sleepUntil(t0 + 6_000);
    const victim = workers[3] as Worker;
    victim.child.kill('SIGKILL'); // at an instant: it is calling that second's handlers
    const killedAt = Date.now();
    await sleepUntil(t0 + (FIRES - 1) * 1000 + 600);
    await Promise.all(workers.filter((w) => w !== victim).map(stopWorker));

    const records = readRecords(names.map(recordFile));
    const figures = report('scheduler killed', workers, records, ids, t0, killedAt);
    expectEveryFireOnce(records, ids, t0, t0 + (FIRES - 2) * 1000, victim.name);
    expect(figures.lagAfterP99).toBeLessThan(LAG_AFTER_MS);
    expect(figures.lagDuringMax).toBeLessThan(REGISTRY.deadAfterMs + 4_000);
  }, 60_000);

  it('the NATS server leading the jobs bucket SIGKILLed mid-run and restarted: no fire lost, none run twice, none declared dead, lag back to normal within 3 s of the new leader', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const { prefix, store, ids, t0, recordFile } = await setup(names, {
      horizonMs: CLUSTER_HORIZON_MS,
    });
    await sleepUntil(t0 + 6_000);
    const leader = (await cluster?.leaderOf(`KV_${prefix}_jobs`)) ?? '';
    expect(cluster?.names).toContain(leader);
    const elections = await cluster?.elections(leader);
    cleanups.push(async () => elections?.close());
    await cluster?.kill(leader);
    const killedAt = Date.now();
    await sleepUntil(t0 + 10_000);
    await cluster?.restart(leader);
    // Fires due about the kill run late, seconds late on a loaded machine: the stop waits
    // 8 s past the last one checked, so that one not run by then is lost, not just late.
    await sleepUntil(t0 + (FIRES - 1) * 1000 + 8_000);
    await Promise.all(workers.map(stopWorker));

    const records = readRecords(names.map(recordFile));
    const figures = report(`server ${leader} killed`, workers, records, ids, t0, killedAt);
    const seen = (elections?.seen ?? []).filter((e) => e.at > killedAt);
    console.info(
      `nats cluster, leaders elected after the kill: ${seen.map((e) => `${e.what.replace(prefix, '')} +${e.at - killedAt} ms`).join(', ')}`,
    );
    const electedAt = seen.find((e) => e.what === `STREAM.KV_${prefix}_jobs`)?.at ?? killedAt;
    const byFire = callsByFire(records);
    const lagP99 = (from: number, to: number) => {
      const lags = [...byFire.values()]
        .map((calls) => calls.at(-1) as HandlerCall)
        .filter((c) => c.fireAt >= from && c.fireAt < to)
        .map((c) => c.startedAt - c.fireAt)
        .sort((a, b) => a - b);
      return lags[Math.floor(0.99 * lags.length)] ?? lags.at(-1) ?? 0;
    };
    console.info(
      `nats cluster, lag p99 of fires due in each second from 1 s before the jobs stream's new leader to 5 s after it (+${electedAt - killedAt} ms): ${range(
        6,
      )
        .map((k) => lagP99(electedAt + k * 1000 - 1000, electedAt + k * 1000))
        .join(' / ')} ms`,
    );
    if (trace || figures.missed > 0)
      await traceMissed(store, records, ids, t0, t0 + (FIRES - 2) * 1000);
    expectEveryFireOnce(records, ids, t0, t0 + (FIRES - 2) * 1000, '');
    // The live instances' signs of life, from a thread of their own, outlast the catch-up.
    expect(figures.declaredDead).toEqual([]);
    // The election is the cluster's (4–9 s); the catch-up of its backlog (a fire of every job
    // for each second without a leader) is chime's: from 3 s after it, fires start on time.
    const backFrom = Math.max(killedAt + 5_000, electedAt + 3_000);
    const afterLeaderP99 = lagP99(backFrom, t0 + FIRES * 1000);
    console.info(
      `nats cluster, lag p99 of fires due from ${backFrom - electedAt} ms after the new leader: ${afterLeaderP99} ms`,
    );
    expect(afterLeaderP99).toBeLessThan(LEADER_LAG_AFTER_MS);
  }, 60_000);

  it('a store whose jobs watch was served by a SIGKILLed server sees another store’s new job within 10 s of its write (not within 15 s without the restarts: the watch waits for missed heartbeats)', async () => {
    const servers = cluster?.servers ?? [];
    const openWatching = async () => {
      const prefix = freshPrefix();
      const store = natsStore({ servers, prefix, replicas: 3 });
      cleanups.push(() => store.close());
      await store.open();
      const [node = ''] = (await cluster?.consumerNodesOf(`KV_${prefix}_jobs`)) ?? [];
      return { prefix, watching: store, node };
    };
    // Without the cluster's meta leader no consumer is created, a restarted watch's neither:
    // a store whose jobs watch another node serves.
    let { prefix, watching, node } = await openWatching();
    for (let tries = 0; tries < 10 && node === (await cluster?.metaLeader()); tries++)
      ({ prefix, watching, node } = await openWatching());
    expect(cluster?.names).toContain(node);
    expect(node).not.toBe(await cluster?.metaLeader());
    const others = servers.filter((_, i) => cluster?.names[i] !== node);
    // Requests to a stream without a leader fail after 2 s, and are tried again.
    const writing = natsStore({ servers: others, prefix, replicas: 3, timeoutMs: 2_000 });
    cleanups.push(() => writing.close());
    await writing.open();
    await cluster?.kill(node);
    cleanups.push(() => cluster?.restart(node));
    const job = makeJobRecord({ nextFireAt: Date.now() + 3_600_000 });
    const write = [{ job, expectedVersion: null, dropPlanned: false }];
    // The killed server may have led the jobs stream: the write waits for a new leader.
    await until(
      () => writing.jobsWrite({ writes: write }).then(...succeeded),
      30_000,
      'the job to be written',
    );
    const writtenAt = Date.now();
    await until(
      async () => (await watching.jobsList({ limit: 10 })).some((j) => j.id === job.id),
      15_000,
      'the watching store to see the job',
    );
    const seenAfterMs = Date.now() - writtenAt;
    console.info(
      `nats cluster, server ${node} of a jobs watch killed: job seen ${seenAfterMs} ms after its write`,
    );
    expect(seenAfterMs).toBeLessThan(10_000);
  }, 60_000);
});

/** Handlers of a promise: true when it fulfils, false when it rejects. */
const succeeded = [() => true, () => false] as const;

/**
 * Prints a run's figures: fires due by the end of the run's {@link FIRES}
 * seconds (less the last, which a stop may hand back), run, missed, run more than once, and the lag (start minus
 * fire instant) before, during (5 s from `disruptedAt`) and after, and the
 * deaths the instances declared.
 */
function report(
  what: string,
  workers: Worker[],
  records: HandlerCall[],
  ids: string[],
  t0: number,
  disruptedAt: number,
) {
  const end = t0 + FIRES * 1000;
  const byFire = callsByFire(records);
  const due = ids.length * Math.floor((end - 1_000 - t0) / 1000);
  const ran = [...byFire.keys()].filter((key) => Number(key.split('@')[1]) < end - 1_000).length;
  const twice = [...byFire.values()].filter((calls) => calls.length > 1).length;
  const lags = (from: number, to: number) =>
    [...byFire.values()]
      .map((calls) => calls.at(-1) as HandlerCall)
      .filter((c) => c.fireAt >= from && c.fireAt < to)
      .map((c) => c.startedAt - c.fireAt)
      .sort((a, b) => a - b);
  const p = (values: number[], q: number) =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;
  const during = lags(disruptedAt - 1_000, disruptedAt + 5_000);
  const after = lags(disruptedAt + 5_000, end);
  const figures = {
    due,
    ran,
    missed: due - Math.min(ran, due),
    runTwice: twice,
    lagBeforeP99: p(lags(t0, disruptedAt - 1_000), 0.99),
    lagDuringP99: p(during, 0.99),
    lagDuringMax: during.at(-1) ?? 0,
    lagAfterP99: p(after, 0.99),
    declaredDead: workers.flatMap((w) =>
      w.lines
        .filter((l) => l['event'] === 'instance:dead')
        .map(
          (l) =>
            `${(l['payload'] as { instanceId: string }).instanceId} by ${w.name} at t0+${Number(l['at']) - t0} ms`,
        ),
    ),
  };
  console.info(`nats cluster, ${what}: ${JSON.stringify(figures)}`);
  if (trace)
    for (const w of workers)
      console.info(
        `nats cluster, ${w.name}'s store calls over 300 ms (from t0, took): ${w.lines
          .filter((l) => l['event'] === 'slow')
          .map(
            (l) =>
              `${String(l['call'])} +${Number(l['from']) - t0} ${String(l['ms'])}${l['failed'] ? ' ✗' : ''}`,
          )
          .join(', ')}`,
      );
  if (trace) console.info(`nats cluster, errors: ${JSON.stringify(errorsOf(workers))}`);
  return figures;
}

/**
 * Under `CHIME_NATS_TRACE=1`, or when fires were missed: what the store holds
 * of the fires no handler ran (first 20) — whether they were planned, their
 * status, lease and attempts.
 */
async function traceMissed(
  store: Store,
  records: HandlerCall[],
  ids: string[],
  t0: number,
  last: number,
) {
  const byFire = callsByFire(records);
  const missed = ids.flatMap((jobId) =>
    range(Math.floor((last - t0) / 1000) + 1)
      .map((k) => ({ jobId, fireAt: t0 + k * 1000 }))
      .filter(({ fireAt }) => !byFire.has(`${jobId}@${fireAt}`)),
  );
  console.info(`nats cluster, missed ${missed.length}`);
  for (const { jobId, fireAt } of missed.slice(0, 20)) {
    const executions = await store.executionsList({ jobId, limit: 100 });
    const held = executions.find((e) => e.fireAt === fireAt);
    const job = await store.jobGet({ id: jobId });
    console.info(
      `nats cluster, missed ${jobId}@t0+${fireAt - t0}: ${
        held
          ? JSON.stringify({
              ...held,
              runAt: held.runAt - t0,
              createdAt: held.createdAt - t0,
              leaseUntil: (held.leaseUntil ?? t0) - t0,
            })
          : 'no execution'
      }; job next fire t0+${(job?.nextFireAt ?? t0) - t0}, version ${job?.version}`,
    );
  }
}
