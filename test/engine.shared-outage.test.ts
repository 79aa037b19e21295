/**
 * The death rule after an outage of the store that every instance saw (a
 * NATS stream electing a leader for longer than `deadAfterMs`): an instance
 * back first does not declare dead a peer whose sign of life is held up a
 * moment longer — its own silence does not count against the peer — but
 * declares a peer that stays silent dead `deadAfterMs` after its return; and
 * an instance stopped while its signs of life fail stops.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChimeError, memoryStore, once, TestClock, type Scheduler } from '../src/index.js';
import { intercept } from './helpers/intercept.js';
import { stopOnTestClock, testScheduler } from './helpers/scheduler.js';

const HEARTBEAT = 1_000;
const DEAD_AFTER = 4_000;
/** Longer than DEAD_AFTER: both instances' signs of life fail for it. */
const OUTAGE = 10_000;

describe('the death rule after an outage both instances saw', () => {
  const clock = new TestClock(Date.parse('2026-03-02T10:00:00Z'));
  const running: Scheduler[] = [];
  const down = new Set<string>();
  afterEach(async () => {
    down.clear();
    for (const s of running.splice(0)) await stopOnTestClock(s, clock);
  });

  /** A store whose signs of life fail for the ids in `down`. */
  function storeWithOutage() {
    const inner = memoryStore();
    return intercept(inner, {
      instanceBeat: async (params) => {
        if (down.has(params.id))
          throw new ChimeError('CHIME_ERR_STORE_UNAVAILABLE', 'the stream has no leader');
        return inner.instanceBeat(params);
      },
    });
  }

  /** Instances a and b on one store whose signs of life fail for the ids in `down`. */
  async function twoInstances() {
    const store = storeWithOutage();
    const deaths: string[] = [];
    const start = async (instanceId: string) => {
      const { scheduler } = testScheduler({
        store,
        clock,
        instanceId,
        heartbeatMs: HEARTBEAT,
        deadAfterMs: DEAD_AFTER,
      });
      scheduler.on('instance:dead', ({ instanceId: dead }) => deaths.push(`${dead} at ${at()}`));
      await scheduler.start();
      running.push(scheduler);
    };
    const from = clock.now();
    const at = () => clock.now() - from;
    await start('a');
    await start('b');
    await clock.advance(3_000);
    down.add('a').add('b');
    await clock.advance(OUTAGE);
    down.delete('a');
    return { deaths, back: at() };
  }

  it('a peer whose sign of life gets through 3 s after the outage is not declared dead', async () => {
    const { deaths } = await twoInstances();
    await clock.advance(3_000); // a shows life every second, b's signs of life still fail
    down.delete('b');
    await clock.advance(DEAD_AFTER + 2_000);
    expect(deaths).toEqual([]);
  });

  it('a peer that stays silent is declared dead deadAfterMs after the outage, within two heartbeats', async () => {
    const { deaths, back } = await twoInstances();
    await clock.advance(DEAD_AFTER + 2 * HEARTBEAT);
    expect(deaths).toHaveLength(1);
    const [dead, when] = (deaths[0] ?? '').split(' at ');
    expect(dead).toBe('b');
    expect(Number(when) - back).toBeGreaterThanOrEqual(DEAD_AFTER - HEARTBEAT);
  });

  it('an instance stopped while its signs of life fail stops (it does not wait for one to get through)', async () => {
    await twoInstances(); // a is back, b's signs of life still fail
    const b = running.pop();
    if (!b) throw new Error('no instance b');
    await clock.advance(HEARTBEAT); // b's cycle waits for a sign of life to confirm it
    await stopOnTestClock(b, clock, 2 * HEARTBEAT);
  });

  it('an instance stopped while a fire it holds waits for a sign of life stops, and hands the fire back', async () => {
    const { scheduler: c } = testScheduler({
      store: storeWithOutage(),
      clock,
      instanceId: 'c',
      heartbeatMs: HEARTBEAT,
      deadAfterMs: DEAD_AFTER,
    });
    c.setHandler(() => undefined);
    await c.start();
    await c.submitJob({ id: 'soon', schedule: once(new Date(clock.now() + 5_000)) });
    await clock.advance(1_000);
    down.add('c'); // trusted until 4.5 s: it claims the fire ahead, and its instant finds c unsure
    await clock.advance(5_000);
    expect((await c.listExecutions({ jobId: 'soon' })).items).toEqual([
      expect.objectContaining({ status: 'scheduled', attempt: 0 }),
    ]);
    await stopOnTestClock(c, clock, 2 * HEARTBEAT);
  });
});
