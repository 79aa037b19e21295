/**
 * Prefetch: how many executions one instance holds (claimed ahead of their
 * instant, queued or running). Set, it lets a burst be claimed whole before
 * its instant; unset, it starts at twice the slots and follows what the
 * instance has shown it gets through within half a horizon.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isChimeError, once, type Scheduler } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

const BURST = 300;

describe('prefetch', () => {
  const schedulers: Scheduler[] = [];
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop({ timeoutMs: 0 });
  });

  /** Submits BURST one-shot jobs due at `at`, named `<prefix><i>`. */
  async function burst(scheduler: Scheduler, prefix: string, at: number): Promise<void> {
    await scheduler.submitJobs(
      Array.from({ length: BURST }, (_, i) => ({
        id: `${prefix}${i}`,
        schedule: once(new Date(at)),
      })),
    );
  }

  it('with prefetch set, a burst of that many fires is claimed whole before its instant', async () => {
    const { scheduler, clock } = testScheduler({ concurrency: 10, prefetch: BURST });
    schedulers.push(scheduler);
    const fired: number[] = [];
    scheduler.setHandler(() => void fired.push(clock.now()));
    await scheduler.start();
    const t = clock.now() + 5_000;
    await burst(scheduler, 'b', t);
    while (clock.now() < t - 250) await clock.advance(250);

    expect(scheduler.status()).toMatchObject({ waiting: BURST, held: BURST, running: 0 });
    expect(fired).toEqual([]);
    await clock.advance(t - clock.now());
    while (fired.length < BURST) await clock.advance(0);
    // Every fire ran at its instant: none waited for a claim after it.
    expect(new Set(fired)).toEqual(new Set([t]));
  });

  it('unset, it holds twice the slots until the instance has shown it gets through more', async () => {
    const concurrency = 5;
    const { scheduler, clock } = testScheduler({ concurrency });
    schedulers.push(scheduler);
    let fired = 0;
    scheduler.setHandler(() => void fired++);
    await scheduler.start();
    const first = clock.now() + 5_000;
    await burst(scheduler, 'first', first);
    let heldBefore = 0;
    while (clock.now() < first - 250) {
      await clock.advance(250);
      heldBefore = Math.max(heldBefore, scheduler.status().held);
    }
    expect(heldBefore).toBe(2 * concurrency);
    while (fired < BURST) await clock.advance(50);

    // The first burst went through in well under a second of clock time: room grows.
    const second = clock.now() + 5_000;
    await burst(scheduler, 'second', second);
    let heldSecond = 0;
    while (clock.now() < second - 250) {
      await clock.advance(250);
      heldSecond = Math.max(heldSecond, scheduler.status().held);
    }
    expect(heldSecond).toBeGreaterThan(2 * concurrency);
    while (fired < 2 * BURST) await clock.advance(50);
  });

  /**
   * A fresh instance with 5 slots runs a burst due `dueInMs` after its start, with the
   * clock standing at the instant (its attempts take no time). Returns the most it held
   * meanwhile.
   */
  async function firstBurst(dueInMs: number, prefetch?: number): Promise<{ held: number }> {
    const { scheduler, clock } = testScheduler({
      concurrency: 5,
      ...(prefetch === undefined ? {} : { prefetch }),
    });
    schedulers.push(scheduler);
    let fired = 0;
    let held = 0;
    scheduler.setHandler(() => {
      fired++;
      held = Math.max(held, scheduler.status().held);
    });
    await scheduler.start();
    const first = clock.now() + dueInMs;
    await burst(scheduler, 'first', first);
    await clock.advance(first - clock.now());
    for (let turns = 0; fired < BURST && turns < 1_000; turns++) await clock.advance(0);
    expect(fired).toBe(BURST);
    expect(clock.now()).toBe(first); // every fire ran at its instant
    return { held };
  }

  it('unset, a fresh instance makes room within its first burst, not a second later', async () => {
    // Due 600 ms after the start: the instance has measured no full second of finished attempts.
    const { held } = await firstBurst(600);
    // Its attempts finished at once: it held more than its first 2 × concurrency before the burst was through.
    expect(held).toBeGreaterThan(2 * 5);
  });

  it('unset, a fresh instance claims work already due beyond it, as far as it can start that work now', async () => {
    // Due 100 ms after the start: no rate of finished attempts can show yet, only that the
    // attempts take no time.
    const { held } = await firstBurst(100);
    expect(held).toBeGreaterThan(2 * 5);
  });

  it('set, it is a limit: work already due is not claimed beyond it', async () => {
    const { held } = await firstBurst(100, 12);
    expect(held).toBeLessThanOrEqual(12);
  });

  it('below concurrency, it is refused with the option named', () => {
    let error: unknown;
    try {
      testScheduler({ concurrency: 10, prefetch: 5 });
    } catch (err) {
      error = err;
    }
    expect(isChimeError(error, 'CHIME_ERR_OPTION_INVALID')).toBe(true);
    expect(error).toMatchObject({ path: '/prefetch' });
    expect(String((error as Error).message)).toMatch(/prefetch \(5\) is below concurrency \(10\)/);
  });
});
