/**
 * The shared shape of the executors' "bad target definitions" tests: each bad
 * target is refused where a job names it, as its target and as its
 * `onFailure`, with its code at its path.
 */
import { expect, it } from 'vitest';
import { once, type JobDefinition, type Scheduler } from '../../src/index.js';

/** A target a job is refused for: what it is, the target, the error's code and path. */
export type BadTarget = [what: string, target: unknown, code: string, path: string];

/**
 * One test per bad target: a job naming it as its target is refused with
 * `code` at `path`, and one naming it as its `onFailure` with `code` at the
 * same path under `/onFailure`. `scheduler` makes the scheduler each test
 * submits to (the caller stops it).
 */
export function refusesBadTargets(
  bad: BadTarget[],
  scheduler: () => Scheduler | Promise<Scheduler>,
): void {
  const cases = bad.map(([what, target, code, path]) => ({ what, target, code, path }));
  it.each(cases)('$what → $code at $path', async ({ target, code, path }) => {
    const s = await scheduler();
    const schedule = once(new Date(Date.now() + 60_000));
    const asTarget = { schedule, target } as unknown as JobDefinition;
    await expect(s.submitJob(asTarget)).rejects.toMatchObject({ name: 'ChimeError', code, path });
    const asOnFailure = { schedule, onFailure: target } as unknown as JobDefinition;
    await expect(s.submitJob(asOnFailure)).rejects.toMatchObject({
      name: 'ChimeError',
      code,
      path: path.replace('/target', '/onFailure'),
    });
  });
}
