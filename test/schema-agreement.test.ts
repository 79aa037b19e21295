/**
 * The job JSON Schema the service serves and the validator agree: a rule is
 * in the schema and enforced, or neither. Every map of the schema checks its
 * keys (a `Type.Record` key pattern alone is `patternProperties`, which lets
 * other keys through), and header names are tokens, header values free of
 * CR, LF and NUL, for every target type.
 */
import { Check } from 'typebox/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDefinition, Scheduler } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

let scheduler: Scheduler;
/** The job schema as served: plain JSON. */
let served: Parameters<typeof Check>[0];

beforeAll(async () => {
  scheduler = testScheduler({ allowShell: true }).scheduler;
  await scheduler.start();
  served = JSON.parse(JSON.stringify(scheduler.schemas().job)) as typeof served;
});

afterAll(async () => {
  await scheduler?.stop({ timeoutMs: 0 });
});

const schedule = { kind: 'interval', every: '1h' };
const targets: Record<string, Record<string, unknown>> = {
  http: { type: 'http', url: 'https://example.com/hook' },
  amqp: { type: 'amqp', url: 'amqp://127.0.0.1', exchange: 'x', routingKey: 'k' },
  nats: { type: 'nats', servers: 'nats://127.0.0.1:4222', subject: 'a.b' },
  email: {
    type: 'email',
    smtp: 'smtp://127.0.0.1',
    from: 'a@example.com',
    to: 'b@example.com',
    subject: 's',
    text: 't',
  },
};

/** Every subschema of a JSON Schema, with its pointer. */
function* subschemas(schema: unknown, at = ''): Generator<[string, Record<string, unknown>]> {
  if (typeof schema !== 'object' || schema === null) return;
  if (Array.isArray(schema)) {
    for (const [i, item] of schema.entries()) yield* subschemas(item, `${at}/${i}`);
    return;
  }
  yield [at, schema as Record<string, unknown>];
  for (const [key, value] of Object.entries(schema)) yield* subschemas(value, `${at}/${key}`);
}

describe('the served job schema and the validator', () => {
  it('check the keys of every map: propertyNames, nothing else allowed', () => {
    const maps = [...subschemas(served)].filter(([, s]) => s['patternProperties'] !== undefined);
    expect(maps.length).toBeGreaterThanOrEqual(6);
    for (const [at, map] of maps) {
      expect(map['propertyNames'], at).toEqual(expect.objectContaining({ type: 'string' }));
      expect(map['additionalProperties'], at).toBe(false);
    }
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ...Object.entries(targets).flatMap(
      ([type, target]): [string, Record<string, unknown>, string][] => [
        [
          `${type}: a header name with a space`,
          { ...target, headers: { 'Bad Header': 'v' } },
          '/target/headers/Bad Header',
        ],
        [
          `${type}: a header name with a colon`,
          { ...target, headers: { 'X-A:b': 'v' } },
          '/target/headers/X-A:b',
        ],
        [`${type}: an empty header name`, { ...target, headers: { '': 'v' } }, '/target/headers/'],
        [
          `${type}: a header value with CR LF`,
          { ...target, headers: { 'X-A': 'v\r\nX-B: injected' } },
          '/target/headers/X-A',
        ],
        [
          `${type}: a header value with NUL`,
          { ...target, headers: { 'X-A': 'v\u0000' } },
          '/target/headers/X-A',
        ],
      ],
    ),
    [
      'shell: an environment name with a space',
      { type: 'shell', command: 'true', env: { 'A B': '1' } },
      '/target/env/A B',
    ],
  ];

  it.each(bad)('refuse %s', async (_, target, path) => {
    const definition = { id: 'j', schedule, target };
    expect(Check(served, definition)).toBe(false);
    await expect(scheduler.ensureJob(definition as JobDefinition)).rejects.toMatchObject({
      code: 'CHIME_ERR_INVALID_INPUT',
      path,
    });
  });

  it('refuse a metadata key outside the pattern, with the same code and path as before', async () => {
    const definition = { id: 'j', schedule, metadata: { 'team name': 'a' } };
    expect(Check(served, definition)).toBe(false);
    await expect(scheduler.ensureJob(definition as JobDefinition)).rejects.toMatchObject({
      code: 'CHIME_ERR_INVALID_INPUT',
      path: '/metadata/team name',
    });
  });

  it.each(Object.entries(targets))('take good headers of %s', async (type, target) => {
    const definition = {
      id: `good-${type}`,
      schedule,
      target: { ...target, headers: { 'X-Tenant_1.a': 'acme; q=1 "quoted"' } },
    };
    expect(Check(served, definition)).toBe(true);
    await expect(
      scheduler.ensureJob(definition as unknown as JobDefinition),
    ).resolves.toMatchObject({
      id: `good-${type}`,
    });
  });
});
