import Type from 'typebox';
import { ChimeError } from '../../errors.js';
import { EXECUTION_STATUSES } from '../../model/execution.js';
import type { BackfillParams } from '../../scheduler/backfill.js';
import type { JobDefinition } from '../../scheduler/scheduler.js';
import { LAST_OUTCOMES, searchJobs } from '../job-search.js';
import type { Api, RouteContext } from './context.js';
import { checkedQuery, deferred, IdParams, PageQuery } from './context.js';

const TriggerBody = Type.Object(
  {
    payload: Type.Optional(Type.Unknown({ description: 'Replaces the job payload for this run' })),
  },
  { additionalProperties: false },
);

const BackfillBody = Type.Object(
  {
    from: Type.String({ description: "the window's first instant (ISO 8601 with an offset)" }),
    to: Type.String({ description: "the window's last instant, not after now" }),
    dryRun: Type.Optional(Type.Boolean({ description: 'list the fires it would add; add none' })),
  },
  { additionalProperties: false },
);

/** The job routes: create, ensure, list, get, patch, delete, pause, resume, trigger, backfill, a job's executions. */
export function jobRoutes(app: Api, { scheduler, views, schemas }: RouteContext): void {
  const body = deferred(schemas.job);

  app.post(
    '/v1/jobs',
    { schema: { tags: ['jobs'], summary: 'Create a job (409 when the id is taken)', body } },
    async (request, reply) => {
      const job = await scheduler.submitJob(request.body as JobDefinition);
      return reply
        .code(201)
        .header('location', `/v1/jobs/${encodeURIComponent(job.id)}`)
        .send(views.redact(job));
    },
  );

  app.put(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Create or update a job (idempotent)',
        params: IdParams,
        body,
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const definition = withId(request.body, id);
      const stored = await scheduler.getJob(id);
      return views.redact(await scheduler.ensureJob(views.restore(definition, stored)));
    },
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary:
          'List jobs by id; filter with metadata.<key>=<value>, paused, targetType, lastOutcome, q (id search)',
        querystring: JobsQuery,
      },
    },
    async (request) => {
      const { q, lastOutcome, ...query } = listQuery(request.query as Record<string, unknown>);
      const page = await searchJobs(scheduler, query, {
        ...(q === undefined ? {} : { q }),
        ...(lastOutcome === undefined ? {} : { lastOutcome }),
      });
      return { items: page.items.map((job) => views.redact(job)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/jobs/:id',
    { schema: { tags: ['jobs'], summary: 'Get a job', params: IdParams } },
    async (request) => {
      const { id } = request.params as { id: string };
      return views.redact(await mustGet(id));
    },
  );

  app.patch(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Change a job with a JSON merge patch (RFC 7396)',
        params: IdParams,
        body: Type.Object({}, { additionalProperties: true, 'x-chime-validated-by': 'scheduler' }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const stored = await mustGet(id);
      const definition = withId(views.patch(stored, request.body), id);
      return views.redact(await scheduler.ensureJob(views.restore(definition, stored)));
    },
  );

  app.delete(
    '/v1/jobs/:id',
    { schema: { tags: ['jobs'], summary: 'Delete a job and its executions', params: IdParams } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await scheduler.removeJob(id))) throw notFound(id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/jobs/:id/pause',
    { schema: { tags: ['jobs'], summary: 'Pause a job', params: IdParams } },
    async (request) => {
      return views.redact(await scheduler.pauseJob((request.params as { id: string }).id));
    },
  );

  app.post(
    '/v1/jobs/:id/resume',
    { schema: { tags: ['jobs'], summary: 'Resume a job from now on', params: IdParams } },
    async (request) => {
      return views.redact(await scheduler.resumeJob((request.params as { id: string }).id));
    },
  );

  app.post(
    '/v1/jobs/:id/trigger',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Run a job now, once',
        params: IdParams,
        body: Type.Optional(TriggerBody),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const params = (request.body ?? {}) as { payload?: unknown };
      return reply
        .code(202)
        .send(
          await scheduler.triggerJob(id, 'payload' in params ? { payload: params.payload } : {}),
        );
    },
  );

  app.post(
    '/v1/jobs/:id/backfill',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Add the fires of a past window not yet in the ledger (dryRun: list them)',
        params: IdParams,
        body: BackfillBody,
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const result = await scheduler.backfillJob(id, request.body as BackfillParams);
      return reply.code(result.dryRun ? 200 : 202).send(result);
    },
  );

  app.get(
    '/v1/jobs/:id/executions',
    {
      schema: {
        tags: ['executions'],
        summary: "A job's executions, newest first",
        params: IdParams,
        querystring: ExecutionsQuery,
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await mustGet(id);
      const query = checkedQuery(ExecutionsQuery, request.query);
      return scheduler.listExecutions({ ...query, jobId: id });
    },
  );

  async function mustGet(id: string) {
    const job = await scheduler.getJob(id);
    if (!job) throw notFound(id);
    return job;
  }
}

const JobsQuery = Type.Object(
  {
    ...PageQuery,
    paused: Type.Optional(Type.Boolean()),
    targetType: Type.Optional(Type.String({ minLength: 1 })),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'the id contains this, any case' }),
    ),
    lastOutcome: Type.Optional(
      Type.Union(
        LAST_OUTCOMES.map((o) => Type.Literal(o)),
        {
          description:
            'the last finished execution ended so (none: never). With q, a bounded scan: a page may hold fewer than limit jobs and still have a nextCursor',
        },
      ),
    ),
  },
  {
    additionalProperties: true,
    description: 'Also metadata.<key>=<value>: exact matches on metadata, all of which must hold.',
  },
);

const ExecutionsQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(Type.Union(EXECUTION_STATUSES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);

/** Splits `metadata.<key>` parameters from the others, and checks the rest. */
function listQuery(raw: Record<string, unknown>) {
  const metadata: Record<string, string> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('metadata.')) {
      if (typeof value !== 'string')
        throw new ChimeError('CHIME_ERR_INVALID_INPUT', `give ${key} once`, { path: `/${key}` });
      metadata[key.slice('metadata.'.length)] = value;
    } else rest[key] = value;
  }
  const query = checkedQuery(
    Type.Object(JobsQuery.properties, { additionalProperties: false }),
    rest,
  );
  return Object.keys(metadata).length > 0 ? { ...query, metadata } : query;
}

/** The definition with the path's id: a different id in the body is refused. */
function withId(body: unknown, id: string): JobDefinition {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'a job definition must be an object', {
      path: '',
    });
  }
  const bodyId = (body as { id?: unknown }).id;
  if (bodyId !== undefined && bodyId !== id) {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      `the body's id ${JSON.stringify(bodyId)} differs from the path's "${id}"`,
      { path: '/id' },
    );
  }
  return { ...(body as JobDefinition), id };
}

function notFound(id: string): ChimeError {
  return new ChimeError('CHIME_ERR_JOB_NOT_FOUND', `no job has id "${id}"`, { path: '/id' });
}
