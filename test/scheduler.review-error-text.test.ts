/**
 * Review of the stores' text round trip: an attempt's error message is the
 * handler's own text, truncated by the engine to 2,000 UTF-16 code units
 * (`outcome.ts` truncate), so it may hold a NUL or end in half a surrogate
 * pair. Every store must record such a failure, and the fires finished in
 * the same batch with it. On Postgres the finish binds the error and the
 * job's last outcome as JSONB, which refuses `\u0000` and a lone surrogate:
 * the whole finish statement fails, is retried for ever (a store error about
 * every millisecond), the fire stays `scheduled` — and so does another job's
 * fire whose finish shares the batch — and `stop()` never returns.
 * The Postgres cases are marked `fails` while the defect stands; a stop that
 * does not return is cut off from its store after 3 s, and its data removed.
 */
import { describe, expect, it } from 'vitest';
import { createScheduler, once, type Scheduler } from '../src/index.js';
import { ledgerOf } from './helpers/stores.js';
import { silent } from './helpers/scheduler.js';
import { storeCases, type StoreCase } from './helpers/store-cases.js';

const cases = await storeCases('chime_rv_err');

/** Messages a handler may throw that JSONB cannot hold once JSON-encoded. */
const MESSAGES: [string, string][] = [
  ['a NUL', 'exit status 1: \u0000 in the output'],
  // 1,999 characters then an emoji: the 2,000-unit cut keeps its high surrogate only.
  ['an emoji cut in half by the truncation', `${'x'.repeat(1_999)}😀`],
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
    const test = c.name === 'postgres' ? it.fails : it;
    for (const [what, message] of MESSAGES) {
      test(`is recorded with its message (${what}), and so is a fire finished beside it`, async () => {
        const { s, cleanup } = await twoJobs(c, message);
        try {
          const [bad] = await ledgerOf(s, 'bad', finished, 5_000);
          expect(bad?.status).toBe('failed');
          expect(bad?.error?.message.startsWith(message.slice(0, 20))).toBe(true);
          const [good] = await ledgerOf(s, 'good', finished, 5_000);
          expect(good?.status).toBe('succeeded');
          expect((await s.getJob('bad'))?.lastOutcome?.status).toBe('failed');
        } finally {
          await stopAndClean(s, cleanup);
        }
      }, 20_000);
    }

    test("another job's fire at the same instant is recorded (its finish shares the batch)", async () => {
      const { s, cleanup } = await twoJobs(c, 'exit status 1: \u0000 in the output');
      try {
        const [good] = await ledgerOf(s, 'good', finished, 5_000);
        expect(good?.status).toBe('succeeded');
      } finally {
        await stopAndClean(s, cleanup);
      }
    }, 20_000);

    test('stop({ timeoutMs: 1000 }) returns within 3 s after such a failure', async () => {
      const { s, cleanup } = await twoJobs(c, 'exit status 1: \u0000 in the output');
      await ledgerOf(s, 'good', finished, 5_000).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await stopAndClean(s, cleanup)).toBe(true);
    }, 20_000);
  });
}
