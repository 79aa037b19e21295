import { describe, expect, test } from 'vitest';
import { AttemptAbort } from '../src/engine/attempt-abort.js';

describe('AttemptAbort', () => {
  test('the race settles as the work does while nothing aborts', async () => {
    const abort = new AttemptAbort();
    await expect(abort.race(Promise.resolve(7))).resolves.toBe(7);
    await expect(abort.race(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(abort.aborted).toBe(false);
  });

  test('an abort rejects the pending race with its reason, before the work settles', async () => {
    const abort = new AttemptAbort();
    let finish: (value: string) => void = () => undefined;
    const raced = abort.race(new Promise<string>((resolve) => (finish = resolve)));
    const reason = new Error('timed out');
    abort.abort(reason);
    await expect(raced).rejects.toBe(reason);
    finish('late');
    expect(abort.reason).toBe(reason);
  });

  test('the signal made before the abort aborts with the same reason; the first reason wins', () => {
    const abort = new AttemptAbort();
    const { signal } = abort;
    expect(signal.aborted).toBe(false);
    const first = new Error('lease lost');
    abort.abort(first);
    abort.abort(new Error('shutdown'));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(first);
    expect(abort.reason).toBe(first);
  });

  test('a signal asked for after the abort is already aborted, and a later race rejects at once', async () => {
    const abort = new AttemptAbort();
    const reason = new Error('shutdown');
    abort.abort(reason);
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe(reason);
    await expect(abort.race(new Promise<never>(() => undefined))).rejects.toBe(reason);
  });

  test('a work that rejects after the abort raises no unhandled rejection', async () => {
    const abort = new AttemptAbort();
    let fail: (err: Error) => void = () => undefined;
    const raced = abort.race(new Promise<never>((_, reject) => (fail = reject)));
    abort.abort(new Error('timeout'));
    await expect(raced).rejects.toThrow('timeout');
    fail(new Error('after'));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
