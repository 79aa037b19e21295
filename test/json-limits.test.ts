/**
 * One rule for every JSON value chime takes: at most MAX_JSON_DEPTH levels of
 * objects and arrays (counted from the document's root, checked without
 * recursion), serializable, within its byte limit — for the library's job
 * definitions (payload and target bodies), triggers and handler results.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { capResult } from '../src/engine/outcome.js';
import type { JobDefinition, Scheduler } from '../src/index.js';
import { assertJsonDepth, findTooDeep } from '../src/model/json-value.js';
import { MAX_JSON_DEPTH, MAX_TARGET_BODY_BYTES } from '../src/model/limits.js';
import { testScheduler } from './helpers/scheduler.js';

/** `[[…[leaf]…]]`: `levels` nested arrays, built without recursion. */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** The pointer of the first array too deep in `nested(…)` at `prefix`, whose own level is `level`. */
function tooDeepAt(prefix: string, level: number): string {
  return prefix + '/0'.repeat(MAX_JSON_DEPTH + 1 - level);
}

const ok = { id: 'deep', schedule: { kind: 'interval', every: '1h' } } as const;
const http = (body: unknown) => ({ type: 'http', url: 'https://example.com/hook', body });

describe('the JSON depth rule', () => {
  it('finds the first value too deep, without recursion, even 100,000 levels down', () => {
    expect(findTooDeep(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findTooDeep(nested(MAX_JSON_DEPTH + 1))).toEqual({
      at: Array(MAX_JSON_DEPTH).fill('0'),
      cycle: false,
    });
    expect(findTooDeep(nested(100_000))?.at).toHaveLength(MAX_JSON_DEPTH);
    expect(findTooDeep({ a: { 'b/c~': nested(MAX_JSON_DEPTH) } })?.at.slice(0, 3)).toEqual([
      'a',
      'b/c~',
      '0',
    ]);
    expect(() => assertJsonDepth({ 'b/c~': nested(MAX_JSON_DEPTH) }, '/x')).toThrow(
      expect.objectContaining({
        code: 'CHIME_ERR_JSON_TOO_DEEP',
        path: `/x/b~1c~0${'/0'.repeat(MAX_JSON_DEPTH - 1)}`,
      }),
    );
  });

  it('calls a cycle a cycle', () => {
    const cycle: Record<string, unknown> = { n: 1 };
    cycle['self'] = cycle;
    expect(findTooDeep(cycle)?.cycle).toBe(true);
    expect(() => assertJsonDepth(cycle, '/payload')).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_PAYLOAD_NOT_JSON' }),
    );
  });
});

describe('job definitions, triggers and results in the library', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  it.each([
    ['a payload', { ...ok, payload: nested(100_000) }, tooDeepAt('/payload', 2)],
    ['a target body', { ...ok, target: http(nested(100_000)) }, tooDeepAt('/target/body', 3)],
    [
      'an onFailure body',
      { ...ok, onFailure: http(nested(100_000)) },
      tooDeepAt('/onFailure/body', 3),
    ],
    [
      'a payload one level too deep',
      { ...ok, payload: nested(MAX_JSON_DEPTH) },
      tooDeepAt('/payload', 2),
    ],
  ])(
    '%s nested too deep is CHIME_ERR_JSON_TOO_DEEP at its pointer; nothing is stored',
    async (_, definition, path) => {
      scheduler = testScheduler().scheduler;
      await scheduler.start();
      for (const put of [
        scheduler.ensureJob.bind(scheduler),
        scheduler.submitJob.bind(scheduler),
      ]) {
        await expect(put(definition as JobDefinition)).rejects.toMatchObject({
          code: 'CHIME_ERR_JSON_TOO_DEEP',
          path,
        });
      }
      await expect(scheduler.ensureJobs([definition as JobDefinition])).rejects.toMatchObject({
        code: 'CHIME_ERR_JSON_TOO_DEEP',
        path: `/0${path}`,
      });
      expect((await scheduler.listJobs()).items).toEqual([]);
    },
  );

  it('takes JSON nested up to the limit, counted from the definition', async () => {
    scheduler = testScheduler().scheduler;
    await scheduler.start();
    const job = await scheduler.ensureJob({
      ...ok,
      payload: nested(MAX_JSON_DEPTH - 1),
      target: http(nested(MAX_JSON_DEPTH - 2)),
    } as JobDefinition);
    expect(job.payload).toEqual(nested(MAX_JSON_DEPTH - 1));
  });

  it('refuses a target body larger than its limit, and one that is no JSON', async () => {
    scheduler = testScheduler().scheduler;
    await scheduler.start();
    const big = 'x'.repeat(MAX_TARGET_BODY_BYTES);
    await expect(
      scheduler.ensureJob({ ...ok, target: http(big) } as JobDefinition),
    ).rejects.toMatchObject({
      code: 'CHIME_ERR_PAYLOAD_TOO_LARGE',
      path: '/target/body',
    });
    await expect(
      scheduler.ensureJob({ ...ok, target: http({ n: 1n }) } as JobDefinition),
    ).rejects.toMatchObject({ code: 'CHIME_ERR_PAYLOAD_NOT_JSON', path: '/target/body' });
    expect((await scheduler.listJobs()).items).toEqual([]);
  });

  it('refuses a trigger payload nested too deep, counted from the trigger parameters', async () => {
    scheduler = testScheduler().scheduler;
    await scheduler.start();
    await scheduler.ensureJob(ok as JobDefinition);
    await expect(scheduler.triggerJob('deep', { payload: nested(100_000) })).rejects.toMatchObject({
      code: 'CHIME_ERR_JSON_TOO_DEEP',
      path: tooDeepAt('/payload', 2),
    });
    const { items } = await scheduler.listExecutions({ jobId: 'deep' });
    expect(items.filter((e) => e.trigger === 'manual')).toEqual([]);
  });

  it('records a result nested too deep (or a cycle) as a note, not as the value', () => {
    expect(capResult(nested(MAX_JSON_DEPTH), 1_000_000)).toEqual(nested(MAX_JSON_DEPTH));
    expect(capResult(nested(MAX_JSON_DEPTH + 1), 1_000_000)).toEqual({
      unserializable: `the result is not recorded: it nests deeper than ${MAX_JSON_DEPTH} levels`,
    });
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(capResult(cycle, 1_000_000)).toEqual({
      unserializable: 'the result is not recorded: it refers to itself',
    });
  });
});
