import { describe, expect, it } from 'vitest';
import { Tasks } from '../src/engine/tasks.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('the runner tasks in flight', () => {
  it('are idle only once every task settled, those added while waiting included', async () => {
    const tasks = new Tasks(() => undefined);
    const first = deferred();
    const second = deferred();
    tasks.add(first.promise);
    let idle = false;
    const waited = tasks.idle().then(() => (idle = true));
    tasks.add(second.promise);
    first.resolve();
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    second.resolve();
    await waited;
    expect(idle).toBe(true);
  });

  it('report a task that failed, and count it as settled', async () => {
    const reported: unknown[] = [];
    const tasks = new Tasks((err) => reported.push(err));
    const failing = deferred();
    tasks.add(failing.promise);
    failing.reject(new Error('boom'));
    await tasks.idle();
    expect(reported).toEqual([new Error('boom')]);
  });

  it('are idle at once when none is in flight', async () => {
    await new Tasks(() => undefined).idle();
  });
});
