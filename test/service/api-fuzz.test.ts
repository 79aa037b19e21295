/**
 * A fuzz test of the HTTP API driven by its own OpenAPI description: every
 * route it describes, with random and boundary values for every path
 * parameter, query parameter and body field (and now and then another method,
 * content type or a body that is no JSON at all). Whatever the request:
 * - no answer is a 5xx;
 * - every error is `application/problem+json` with a `CHIME_ERR_` code;
 * - a refused request stores nothing: no job created or changed or deleted,
 *   no execution triggered.
 * A fixed seed and CHIME_FUZZ_COUNT requests (300 unless set; set it higher
 * to search longer, and CHIME_FUZZ_SEED to search elsewhere).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JOB_ID_LENGTH, MAX_PATH_PARAM_LENGTH } from '../../src/model/limits.js';
import {
  nastyString,
  patchFor,
  toJsonText,
  valueFor,
  type JsonSchema,
} from '../helpers/fuzz-values.js';
import { call, startTestService, type TestService } from './harness.js';

const COUNT = Number(process.env['CHIME_FUZZ_COUNT'] ?? 300);
const SEED = Number(process.env['CHIME_FUZZ_SEED'] ?? 18);

interface Parameter {
  in: 'path' | 'query';
  name: string;
  schema: JsonSchema;
}

interface Operation {
  method: string;
  /** The OpenAPI path, `{id}` for a parameter. */
  path: string;
  parameters: Parameter[];
  body: JsonSchema | undefined;
}

/** One fuzzed request. */
interface Request {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
}

let svc: TestService;
let operations: Operation[];
const seedIds = ['seed-a', 'seed-b'];

beforeAll(async () => {
  svc = await startTestService({ 'body-limit': '64kb', 'http-target-allow': '127.0.0.1' });
  await seed();
  const openapi = (await call(svc.url, 'GET', '/openapi.json')).json as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: Parameter[];
          requestBody?: { content: Record<string, { schema: JsonSchema }> };
        }
      >
    >;
  };
  operations = Object.entries(openapi.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
    })),
  );
});

afterAll(async () => {
  await svc?.close();
});

/** Creates the seed jobs the fuzz addresses by id, where they are missing (deleted by the fuzz). */
async function seed(): Promise<void> {
  for (const id of seedIds) {
    if (await svc.service.scheduler.getJob(id)) continue;
    const seeded = await call(svc.url, 'PUT', `/v1/jobs/${id}`, {
      body: {
        schedule: { kind: 'cron', expr: '0 0 1 1 *' },
        target: {
          type: 'http',
          url: 'http://127.0.0.1:9/hook',
          auth: { type: 'bearer', token: 'fuzz-token' },
        },
        payload: { n: 1 },
      },
    });
    expect(seeded.status).toBe(200);
  }
}

/** A path segment, percent-encoded (a lone surrogate as the replacement character). */
const encode = (text: string) => encodeURIComponent(Buffer.from(text).toString());

/** A path parameter: an id that exists, one that fits the pattern, a boundary length, or junk. */
const idArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...seedIds).map(encode) },
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,30}$/).map(encode),
  fc
    .constantFrom(MAX_JOB_ID_LENGTH, MAX_JOB_ID_LENGTH + 1, MAX_PATH_PARAM_LENGTH + 1)
    .map((n) => 'i'.repeat(n)),
  fc.constantFrom('%zz', '%00', '..', '.', '%2F'),
  nastyString.filter((s) => s.length < 5000).map(encode),
);

/** Query text of one parameter: a value that follows its schema, or junk. */
function queryValue(schema: JsonSchema): fc.Arbitrary<string> {
  return fc.oneof(
    valueFor(schema).map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))),
    nastyString.filter((s) => s.length < 5000),
  );
}

function queryArb(parameters: Parameter[]): fc.Arbitrary<string> {
  const fields = Object.fromEntries(
    parameters.filter((p) => p.in === 'query').map((p) => [p.name, queryValue(p.schema)]),
  );
  return fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.option(fc.constantFrom('colour=red', 'metadata.team=a', 'limit=1&limit=2', '%zz=1')),
    )
    .map(([values, extra]) => {
      const text = new URLSearchParams(values as Record<string, string>).toString();
      return [text, extra].filter((part) => part).join('&');
    });
}

/**
 * A job definition valid but for a few fuzzed fields: the schema's own values
 * rarely make a whole valid job, and the fuzz must reach what a valid one does.
 */
function nearlyValidJob(schema: JsonSchema): fc.Arbitrary<unknown> {
  const base = fc.constantFrom(
    { schedule: { kind: 'interval', every: '1h' } },
    { schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' }, paused: true },
    { schedule: { kind: 'once', at: '2100-01-01T00:00:00Z' }, payload: { n: 1 } },
  );
  const properties = schema.properties ?? {};
  const fuzzed = fc
    .subarray(Object.keys(properties), { maxLength: 2 })
    .chain((keys) =>
      fc.record(Object.fromEntries(keys.map((k) => [k, valueFor(properties[k] ?? {}, 1)]))),
    );
  return fc.tuple(base, fuzzed).map(([job, fields]) => ({ ...job, ...fields }));
}

/** A body for an operation: JSON from its schema (a job's for a merge patch), junk, another type. */
function bodyArb(op: Operation): fc.Arbitrary<{ body?: string; contentType?: string }> {
  const job = operations.find((o) => o.path === '/v1/jobs' && o.method === 'POST')?.body ?? {};
  const json =
    op.path === '/v1/jobs/{id}' && op.method === 'PATCH'
      ? patchFor(job)
      : op.body?.properties?.['schedule'] !== undefined
        ? fc.oneof(valueFor(job), nearlyValidJob(job))
        : op.body
          ? valueFor(op.body)
          : fc.constant(undefined);
  const text = fc.oneof(
    { weight: 8, arbitrary: json.map((v) => (v === undefined ? undefined : toJsonText(v))) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"a":1}x', 'null', '[]', '"x"') },
  );
  const type = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'application/merge-patch+json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        undefined,
      ),
    },
  );
  return fc
    .tuple(text, type)
    .map(([body, contentType]) =>
      body === undefined ? {} : { body, ...(contentType ? { contentType } : {}) },
    );
}

/** A request to one of the described operations, now and then with another method. */
function requestArb(): fc.Arbitrary<Request> {
  // Operations with a body weigh more: they have the most to get wrong.
  const weighted = operations.map((op) => ({
    weight: op.body ? 4 : 1,
    arbitrary: fc.constant(op),
  }));
  return fc.oneof(...weighted).chain((op) =>
    fc
      .record({
        id: idArb,
        query: queryArb(op.parameters),
        body: bodyArb(op),
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constant(op.method) },
          {
            weight: 1,
            arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
          },
        ),
      })
      .map(({ id, query, body, method }) => {
        const path = op.path.replace('{id}', id) + (query ? `?${query}` : '');
        return { method, path, ...(method === 'GET' ? {} : body) };
      }),
  );
}

/** What a refused request must not change: every job's version, and the manual executions. */
async function stored(): Promise<{ jobs: Map<string, number>; manual: Set<string> }> {
  const scheduler = svc.service.scheduler;
  const jobs = new Map<string, number>();
  for (let cursor: string | undefined; ;) {
    const page = await scheduler.listJobs({ limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const job of page.items) jobs.set(job.id, job.version);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const executions = await scheduler.listExecutions({ limit: 1000 });
  const manual = new Set(executions.items.filter((e) => e.trigger === 'manual').map((e) => e.id));
  return { jobs, manual };
}

/** Sends a request; the event stream's body is not waited for. */
async function send(request: Request) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    const response = await fetch(`${svc.url}${request.path}`, {
      method: request.method,
      signal: controller.signal,
      ...(request.body === undefined ? {} : { body: request.body }),
      headers: request.contentType ? { 'content-type': request.contentType } : {},
    });
    const type = response.headers.get('content-type') ?? '';
    const text = type.startsWith('text/event-stream') ? '' : await response.text();
    return { status: response.status, type, text };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

describe('the HTTP API under fuzzing, from its OpenAPI description', () => {
  it('describes the routes the fuzz reaches', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    expect(operations.filter((op) => op.body !== undefined).length).toBeGreaterThanOrEqual(4);
  });

  it(`answers ${COUNT} fuzzed requests without a 5xx, every error a problem, nothing stored from a refusal`, async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb(), async (request) => {
        const mutating = request.method !== 'GET' && request.method !== 'OPTIONS';
        const before = mutating ? await stored() : undefined;
        const answer = await send(request);
        seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
        if (answer.status === 204) await seed();
        const where = `${request.method} ${request.path.slice(0, 300)} (${request.contentType}) ${(request.body ?? '').slice(0, 300)} → ${answer.status} ${answer.text.slice(0, 300)}`;
        expect(answer.status, where).toBeLessThan(500);
        if (answer.status < 400) return;
        expect(answer.type, where).toMatch(/^application\/problem\+json/);
        const problem = JSON.parse(answer.text) as { code: string; status: number };
        expect(problem.code, where).toMatch(/^CHIME_ERR_[A-Z_]+$/);
        expect(problem.status, where).toBe(answer.status);
        if (before) {
          const after = await stored();
          expect([...after.jobs], where).toEqual([...before.jobs]);
          expect(
            [...after.manual].filter((id) => !before.manual.has(id)),
            where,
          ).toEqual([]);
        }
      }),
      { seed: SEED, numRuns: COUNT, endOnFailure: true },
    );
    // The fuzz reached both sides: requests taken and requests refused.
    const statuses = [...seen.keys()];
    expect(
      statuses.some((s) => s < 300),
      JSON.stringify([...seen]),
    ).toBe(true);
    expect(statuses.filter((s) => s >= 400).length, JSON.stringify([...seen])).toBeGreaterThan(3);
  }, 120_000);
});
