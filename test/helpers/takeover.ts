/**
 * What the takeover tests check of a run in which one scheduler process was
 * SIGKILLed: the handlers' own records (one line per call, written by the
 * worker processes) against the fires the jobs should have made.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** One handler call, as a worker recorded it. */
export interface HandlerCall {
  instance: string;
  jobId: string;
  fireAt: number;
  executionId: string;
  attempt: number;
  /** When the handler was called (wall clock ms). */
  startedAt: number;
}

/** The handler calls the workers recorded in these files (one JSON line each; absent files: none). */
export function readRecords(files: string[]): HandlerCall[] {
  return files
    .filter((file) => existsSync(file))
    .flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as HandlerCall),
    );
}

/** The calls of each `(jobId, fireAt)`, in the order they were made. */
export function callsByFire(calls: readonly HandlerCall[]): Map<string, HandlerCall[]> {
  const byFire = new Map<string, HandlerCall[]>();
  for (const call of [...calls].sort((a, b) => a.startedAt - b.startedAt)) {
    const key = `${call.jobId}@${call.fireAt}`;
    byFire.set(key, [...(byFire.get(key) ?? []), call]);
  }
  return byFire;
}

/**
 * Every job fired at every second from `t0` through `last`, and a fire ran
 * more than once only when its earlier attempts were on `victim` (killed or
 * stopped during the attempt): the same execution, the next attempt number,
 * elsewhere.
 */
export function expectEveryFireOnce(
  calls: readonly HandlerCall[],
  jobIds: readonly string[],
  t0: number,
  last: number,
  victim: string,
): void {
  const byFire = callsByFire(calls);
  const missing: string[] = [];
  for (const jobId of jobIds) {
    for (let at = t0; at <= last; at += 1_000) {
      if (!byFire.has(`${jobId}@${at}`)) missing.push(`${jobId}@${at - t0}`);
    }
  }
  expect(missing).toEqual([]);
  for (const [key, calls] of byFire) {
    if (calls.length === 1) continue;
    // In the order of their attempts: a call the victim had begun when it was stopped
    // (SIGSTOP between its decision and its handler's first line) records its start only
    // once resumed, after the call that took it over (its attempt counted it).
    const fire = [...calls].sort((x, y) => x.attempt - y.attempt || x.startedAt - y.startedAt);
    const context = JSON.stringify({ key, fire });
    expect(
      fire.slice(0, -1).every((c) => c.instance === victim),
      context,
    ).toBe(true);
    expect(fire.at(-1)?.instance, context).not.toBe(victim);
    expect(new Set(fire.map((c) => c.executionId)).size, context).toBe(1);
    expect(
      fire.map((c) => c.attempt),
      context,
    ).toEqual(fire.map((_, i) => (fire[0]?.attempt ?? 0) + i));
  }
}

/**
 * The takeover time of a kill at `killedAt`: the longest a fire due about
 * the kill (from the instant before it to `windowMs` after) waited past the
 * later of its instant and the kill before it started on a survivor. The
 * fires the victim held are the late ones: they start once another instance
 * has declared it dead.
 */
export function takeoverMs(
  calls: readonly HandlerCall[],
  victim: string,
  killedAt: number,
  windowMs = 5_000,
): number {
  const after = calls.filter(
    (c) => c.instance !== victim && c.fireAt >= killedAt - 1_000 && c.fireAt <= killedAt + windowMs,
  );
  return Math.max(0, ...after.map((c) => c.startedAt - Math.max(c.fireAt, killedAt)));
}
