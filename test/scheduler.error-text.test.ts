/**
 * An attempt's error message is the handler's own text, truncated by the
 * engine to 2,000 UTF-16 code units, and may hold a NUL or end inside a
 * surrogate pair; a result may hold either too. Postgres refuses both in
 * JSONB: its finish statement failed for ever, with every fire finished in
 * the same batch, and `stop()` never returned. The engine now cuts on whole
 * characters and replaces a NUL or half a pair by U+FFFD, alike on every
 * store; and a stop past its deadline no longer waits for ends a store keeps
 * refusing.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler, once, type Scheduler } from '../src/index.js';
import { ledgerOf } from './helpers/stores.js';
import { silent } from './helpers/scheduler.js';
import { storeCases, type StoreCase } from './helpers/store-cases.js';

const cases = await storeCases('chime_err_text');

/** Messages a handler may throw that JSONB cannot hold once JSON-encoded, and what is recorded. */
const MESSAGES: [string, string, string][] = [
  ['a NUL', 'exit status 1: \u0000 in the output', 'exit status 1: \uFFFD in the output'],
  // 1,999 characters then an emoji: a 2,000-unit cut would keep its high surrogate only.
  ['an emoji cut in half by the truncation', `${'x'.repeat(1_999)}😀`, `${'x'.repeat(1_999)}…`],
];

/** True when `promise` settles within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = promise.then(() => true);
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A started scheduler on the case's store: job `bad` throws `message`, `good` succeeds, both at one instant. */
async function twoJobs(c: StoreCase, message: string) {
  const { store, cleanup: remove } = c.make();
  const s = createScheduler({ store, logger: silent });
  // A scheduler that does not stop is cut off from its store before its data is removed.
  const cleanup = async () => {
    await within(store.close(), 3_000);
    await remove();
  };
  s.handle('throw', () => {
    throw new Error(message);
  });
  s.handle('work', () => 'done');
  await s.start();
  const at = once(new Date(Date.now() + 500));
  const failing = { type: 'handler', name: 'throw' } as const;
  await s.ensureJob({ id: 'bad', schedule: at, target: failing, retry: { maxAttempts: 1 } });
  await s.ensureJob({ id: 'good', schedule: at, target: { type: 'handler', name: 'work' } });
  return { s, cleanup };
}

/** Stops `s` (waiting at most 3 s), then removes its data; true when it stopped. */
async function stopAndClean(s: Scheduler, cleanup: () => Promise<void>): Promise<boolean> {
  const stopped = await within(s.stop({ timeoutMs: 1_000 }), 3_000);
  await cleanup();
  return stopped;
}

const finished = (executions: { status: string }[]) =>
  executions.length === 1 && executions[0]?.status !== 'scheduled';

for (const c of cases) {
  describe.skipIf(!c.available)(`a failure with an error message of any text (${c.name})`, () => {
    for (const [what, message, recorded] of MESSAGES) {
      it(`is recorded with its message (${what}), and so is a fire finished beside it`, async () => {
        const { s, cleanup } = await twoJobs(c, message);
        try {
          const [bad] = await ledgerOf(s, 'bad', finished, 5_000);
          expect(bad?.status).toBe('failed');
          expect(bad?.error?.message).toBe(recorded);
          const [good] = await ledgerOf(s, 'good', finished, 5_000);
          expect(good?.status).toBe('succeeded');
          expect((await s.getJob('bad'))?.lastOutcome?.status).toBe('failed');
        } finally {
          await stopAndClean(s, cleanup);
        }
      }, 20_000);
    }

    it("another job's fire at the same instant is recorded (its finish shares the batch)", async () => {
      const { s, cleanup } = await twoJobs(c, 'exit status 1: \u0000 in the output');
      try {
        const [good] = await ledgerOf(s, 'good', finished, 5_000);
        expect(good?.status).toBe('succeeded');
      } finally {
        await stopAndClean(s, cleanup);
      }
    }, 20_000);

    it('stop({ timeoutMs: 1000 }) returns within 3 s after such a failure', async () => {
      const { s, cleanup } = await twoJobs(c, 'exit status 1: \u0000 in the output');
      await ledgerOf(s, 'good', finished, 5_000).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await stopAndClean(s, cleanup)).toBe(true);
    }, 20_000);

    it('a result holding a NUL and half a surrogate pair, in a key too, is recorded with U+FFFD', async () => {
      const { store, cleanup } = c.make();
      const s = createScheduler({ store, logger: silent });
      s.handle('work', () => ({ 'out\u0000': ['a\u0000b', 'c\ud800'], n: 1 }));
      await s.start();
      try {
        const at = once(new Date(Date.now() + 300));
        await s.ensureJob({ id: 'r', schedule: at, target: { type: 'handler', name: 'work' } });
        const [run] = await ledgerOf(s, 'r', finished, 5_000);
        expect(run?.status).toBe('succeeded');
        expect(run?.result).toEqual({ 'out\uFFFD': ['a\uFFFDb', 'c\uFFFD'], n: 1 });
      } finally {
        await stopAndClean(s, cleanup);
      }
    }, 20_000);

    it('stop({ timeoutMs: 1000 }) returns within 3 s when the store refuses every end', async () => {
      const { store, cleanup } = c.make();
      const s = createScheduler({ store, logger: silent });
      s.handle('work', () => 'done');
      await s.start();
      store.executionsFinish = () => Promise.reject(new Error('refused'));
      const at = once(new Date(Date.now() + 300));
      await s.ensureJob({ id: 'w', schedule: at, target: { type: 'handler', name: 'work' } });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await stopAndClean(s, cleanup)).toBe(true);
    }, 20_000);
  });
}
