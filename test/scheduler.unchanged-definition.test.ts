/**
 * How `ensureJob` tells a definition the store already has (`isDefinitionOf`,
 * `sameJson`): the stored definition compared as JSON with the one given, the
 * defaults and the interval anchor aside. Every field of a definition counts:
 * each of its values changed, each of its keys removed, a key added, is a
 * change; key order, defaults left out and fields JSON leaves out are not.
 */
import { describe, expect, it } from 'vitest';
import type { JobDefinition } from '../src/model/job.js';
import { isDefinitionOf, storedDefinition } from '../src/scheduler/job-records.js';
import { diffJson, sameJson } from '../src/scheduler/job-diff.js';

const NOW = Date.UTC(2030, 0, 1);

/** A definition with every field of its own (none left to a default), payload nested. */
const full: JobDefinition = {
  id: 'full',
  schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
  target: {
    type: 'http',
    url: 'https://example.com/hook',
    method: 'POST',
    headers: { 'x-team': 'ops' },
  } as JobDefinition['target'],
  payload: { n: [1, 'two', true, null, { deep: 3 }], on: false },
  metadata: { team: 'ops', tier: '1' },
  retry: { maxAttempts: 5, backoff: 'fixed', initialDelay: '1s', maxDelay: '1m', jitter: true },
  timeout: '30s',
  misfire: 'catch_up',
  misfireGrace: '5m',
  maxCatchUp: 3,
  maxFires: 10,
  overlap: 'forbid',
  jitter: '2s',
  onFailure: { type: 'handler', name: 'alert' },
  retention: { keepLast: 50, maxAge: '7d' },
  staleAfter: '2d',
  paused: false,
};

type Path = (string | number)[];

/** The path of every leaf (a value that is not an object or an array) of a value. */
function leaves(value: unknown, path: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [path];
  return Object.entries(value).flatMap(([key, child]) =>
    leaves(child, [...path, Array.isArray(value) ? Number(key) : key]),
  );
}

/** The path of every key of every object in a value (array elements aside). */
function keys(value: unknown, path: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = [...path, Array.isArray(value) ? Number(key) : key];
    return Array.isArray(value) ? keys(child, here) : [here, ...keys(child, here)];
  });
}

type Parent = Record<string | number, unknown>;

/** A copy of `value` with `change` applied to what `path` names, in its parent. */
function changed<T>(
  value: T,
  path: Path,
  change: (parent: Parent, key: string | number) => void,
): T {
  const copy = structuredClone(value);
  change(at(copy, path.slice(0, -1)) as Parent, path[path.length - 1] as string | number);
  return copy;
}

/** Another value of a leaf's type. */
function other(leaf: unknown): unknown {
  if (typeof leaf === 'string') return `${leaf}x`;
  if (typeof leaf === 'number') return leaf + 1;
  if (typeof leaf === 'boolean') return !leaf;
  return 0;
}

/** The value at a path. */
function at(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string | number, unknown>)[key], value);
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const definitionPaths = (paths: Path[]) =>
  paths.filter(([first]) => first !== 'id' && first !== 'paused');

describe('an unchanged definition (isDefinitionOf)', () => {
  const stored = storedDefinition(full, NOW);

  it('is the one stored, whatever its key order, with defaults named or not and fields JSON leaves out', () => {
    expect(isDefinitionOf(stored, full)).toBe(true);
    const reordered = Object.fromEntries(Object.entries(full).reverse()) as JobDefinition;
    expect(isDefinitionOf(stored, { ...reordered, id: 'other', paused: true })).toBe(true);
    const plain: JobDefinition = { schedule: { kind: 'interval', every: '5m' } };
    const anchored = storedDefinition(plain, NOW);
    expect(anchored.anchorAt).toBeDefined();
    expect(isDefinitionOf(anchored, plain)).toBe(true);
    expect(isDefinitionOf(anchored, { ...plain, target: { type: 'handler' }, metadata: {} })).toBe(
      true,
    );
    expect(isDefinitionOf(anchored, { ...plain, payload: undefined, jitter: undefined })).toBe(
      true,
    );
    // As the store reads it back: its JSON.
    expect(isDefinitionOf(JSON.parse(JSON.stringify(stored)), full)).toBe(true);
  });

  it('is not one whose any value differs', () => {
    const paths = definitionPaths(leaves(full));
    expect(paths.length).toBeGreaterThan(25);
    for (const path of paths) {
      const job = changed(full, path, (parent, key) => void (parent[key] = other(parent[key])));
      expect(isDefinitionOf(stored, job), path.join('/')).toBe(false);
    }
  });

  it('is not one that lacks a field, or has one more', () => {
    for (const path of definitionPaths(keys(full))) {
      const job = changed(full, path, (parent, key) => Reflect.deleteProperty(parent, key));
      expect(isDefinitionOf(stored, job), `without ${path.join('/')}`).toBe(false);
    }
    const objects = [[], ...definitionPaths(keys(full))].filter((path) => isObject(at(full, path)));
    expect(objects.length).toBeGreaterThan(8);
    for (const path of objects) {
      const job = structuredClone(full);
      (at(job, path) as Record<string, unknown>)['added'] = 1;
      expect(isDefinitionOf(stored, job), `added in /${path.join('/')}`).toBe(false);
    }
  });

  it('counts the interval anchor out on the stored side only', () => {
    const plain: JobDefinition = { schedule: { kind: 'interval', every: '5m' } };
    const anchored = storedDefinition(plain, NOW);
    expect(isDefinitionOf(anchored, { schedule: { kind: 'interval', every: '6m' } })).toBe(false);
  });
});

describe('sameJson', () => {
  it('compares values as their JSON', () => {
    expect(sameJson({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([undefined, 1], [null, 1])).toBe(true);
    expect(sameJson(Number.NaN, null)).toBe(true);
    expect(sameJson(new Date(NOW), new Date(NOW).toISOString())).toBe(true);
    expect(sameJson(new Date(NOW), new Date(NOW + 1))).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson([1], [1, 1])).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameJson({}, [])).toBe(false);
  });

  it('finds a difference wherever the drift report does, a Date changed included', () => {
    const before = { at: new Date(NOW), n: { x: 1 } };
    const after = { at: new Date(NOW + 1), n: { x: 1 } };
    expect(diffJson(before, after)).toEqual([{ path: '/at', from: before.at, to: after.at }]);
    expect(sameJson(before, after)).toBe(false);
  });
});
