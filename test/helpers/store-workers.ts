/**
 * Scheduler processes on a Postgres schema or on NATS for the multi-process
 * tests (`workers/store-instance.ts`), and what the tests check of their runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { StoreWorkerConfig } from '../workers/store-instance.js';
import { outputOf } from './chime-process.js';
import { until } from './events.js';
import type { HandlerCall } from './takeover.js';

const WORKER = fileURLToPath(new URL('../workers/store-instance.ts', import.meta.url));

/** A worker process and the JSON lines it printed. */
export interface Worker {
  name: string;
  child: ChildProcess;
  lines: Record<string, unknown>[];
  waitFor(predicate: (line: Record<string, unknown>) => boolean): Promise<void>;
  exited: Promise<void>;
}

/** Starts a worker process. */
export function spawnWorker(config: StoreWorkerConfig): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { lines, stderr } = outputOf(child);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    name: config.instanceId,
    child,
    lines,
    exited,
    waitFor: (predicate) =>
      until(() => lines.some(predicate), 30_000, `worker ${config.instanceId}: ${stderr()}`),
  };
}

/** SIGTERM (a graceful stop: running attempts finish, the rest is handed back), then the exit. */
export async function stopWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGTERM');
  }
  await worker.exited;
}

/** The fires of each job that ran, as seconds after `t0`, ascending (one entry per fire). */
export function firesByJob(records: HandlerCall[], t0: number): Map<string, number[]> {
  const fires = new Map<string, Set<number>>();
  for (const r of records) {
    fires.set(r.jobId, (fires.get(r.jobId) ?? new Set()).add((r.fireAt - t0) / 1000));
  }
  return new Map([...fires].map(([job, set]) => [job, [...set].sort((a, b) => a - b)]));
}

/** The `error` events the workers printed, counted by where and what (none in a healthy run). */
export function errorsOf(workers: Worker[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of workers.flatMap((w) => w.lines)) {
    if (line['event'] !== 'error') continue;
    const payload = line['payload'] as { during?: string; error?: { message?: string } };
    const key = `${String(line['instance'])} ${payload.during}: ${payload.error?.message}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

/**
 * Checks that no fire is missing: every job ran fires 0, 1, 2, … without a
 * hole, at least `min` of them.
 */
export function expectContiguous(
  records: HandlerCall[],
  jobIds: string[],
  t0: number,
  min: number,
) {
  const fires = firesByJob(records, t0);
  const holes = jobIds
    .map((id) => ({ id, fires: fires.get(id) ?? [] }))
    .filter(({ fires: f }) => f.length < min || f.some((s, i) => s !== i));
  expect(holes).toEqual([]);
}
