/**
 * The limits are defined once (src/model/limits.ts) and stated alike in
 * docs/errors.md, in the error registry's descriptions and in the job JSON
 * Schema the service serves.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../src/errors.js';
import type { Scheduler } from '../src/index.js';
import {
  HEADER_NAME_PATTERN,
  HEADER_VALUE_PATTERN,
  JOB_ID_PATTERN,
  LIMITS,
  MAX_HEADER_NAME_LENGTH,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS,
  MAX_JOB_ID_LENGTH,
  MAX_JSON_DEPTH,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_VALUE_LENGTH,
  MAX_PATH_PARAM_LENGTH,
  MAX_TARGET_BODY_BYTES,
  MAX_URL_LENGTH,
  METADATA_KEY_PATTERN,
} from '../src/model/limits.js';
import { SECRET_KEYWORD } from '../src/model/secrets.js';
import { testScheduler } from './helpers/scheduler.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Limits'));
  const rows = [...section.matchAll(/^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|/gm)]
    .map((m) => [m[1], m[2]])
    .filter(([what]) => what !== 'what' && !/^-+$/.test(what ?? ''));

  it('lists every limit with its value, and no other', () => {
    expect(rows).toEqual(LIMITS.map((l) => [l.what, l.limit]));
  });

  it('names the same values in the descriptions of the codes that enforce them', () => {
    expect(ERRORS.CHIME_ERR_JSON_TOO_DEEP.description).toContain(`${MAX_JSON_DEPTH} levels`);
    expect(ERRORS.CHIME_ERR_URL_TOO_LONG.description).toContain(
      `${MAX_PATH_PARAM_LENGTH} characters: a job id of ${MAX_JOB_ID_LENGTH}`,
    );
    expect(ERRORS.CHIME_ERR_JOB_ID_INVALID.description).toContain(JOB_ID_PATTERN);
  });
});

describe('the served job JSON Schema', () => {
  let scheduler: Scheduler;
  /** The job schema as served: plain JSON. */
  let job: Record<string, unknown>;
  /** The target schemas by type. */
  let targets: Map<string, { properties: Record<string, Record<string, unknown>> }>;

  beforeAll(() => {
    scheduler = testScheduler({ allowShell: true }).scheduler;
    const schemas = JSON.parse(JSON.stringify(scheduler.schemas())) as {
      job: Record<string, unknown>;
      target: { anyOf: { properties: Record<string, Record<string, unknown>> }[] };
    };
    job = schemas.job;
    targets = new Map(
      schemas.target.anyOf.map((t) => [(t.properties['type'] as { const: string }).const, t]),
    );
  });

  afterAll(async () => {
    await scheduler?.stop({ timeoutMs: 0 });
  });

  it('states the id pattern, the metadata bounds and the JSON nesting', () => {
    const properties = job['properties'] as Record<string, Record<string, unknown>>;
    expect(properties['id']).toMatchObject({ pattern: JOB_ID_PATTERN });
    expect(properties['metadata']).toMatchObject({
      maxProperties: MAX_METADATA_ENTRIES,
      propertyNames: { pattern: METADATA_KEY_PATTERN },
      patternProperties: { '^.*$': { maxLength: MAX_METADATA_VALUE_LENGTH } },
    });
    expect(job['description']).toContain(`${MAX_JSON_DEPTH} levels`);
  });

  it('states the URL length of every URL field', () => {
    let urls = 0;
    for (const [type, target] of targets) {
      for (const [field, schema] of Object.entries(target.properties)) {
        if (schema[SECRET_KEYWORD] !== 'url') continue;
        const strings = (schema['anyOf'] as Record<string, unknown>[] | undefined) ?? [schema];
        for (const s of strings) {
          const text = (s['items'] as Record<string, unknown> | undefined) ?? s;
          expect(text['maxLength'], `${type}/${field}`).toBe(MAX_URL_LENGTH);
          urls++;
        }
      }
    }
    expect(urls).toBeGreaterThanOrEqual(5);
  });

  it('states the body limit of every target body', () => {
    const bodies = [
      targets.get('amqp')?.properties['body'],
      targets.get('nats')?.properties['body'],
      targets.get('email')?.properties['text'],
      targets.get('email')?.properties['html'],
    ];
    for (const body of bodies) expect(body).toMatchObject({ maxLength: MAX_TARGET_BODY_BYTES });
    expect(targets.get('http')?.properties['body']?.['description']).toContain(
      `${MAX_TARGET_BODY_BYTES} bytes of JSON`,
    );
  });

  it('states one header rule for every target with headers', () => {
    const withHeaders = [...targets].filter(([, t]) => t.properties['headers'] !== undefined);
    expect(withHeaders.map(([type]) => type).sort()).toEqual(['amqp', 'email', 'http', 'nats']);
    for (const [type, target] of withHeaders) {
      const headers = target.properties['headers'] as Record<string, unknown>;
      expect(headers, type).toMatchObject({
        maxProperties: MAX_HEADERS,
        additionalProperties: false,
        propertyNames: { pattern: HEADER_NAME_PATTERN, maxLength: MAX_HEADER_NAME_LENGTH },
      });
      const value = JSON.stringify(headers['patternProperties']);
      expect(value, type).toContain(JSON.stringify(HEADER_VALUE_PATTERN));
      expect(value, type).toContain(`"maxLength":${MAX_HEADER_VALUE_LENGTH}`);
    }
  });
});
