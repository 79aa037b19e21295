import Type from 'typebox';
import { REDACTED } from '../../model/secrets.js';
import { parseSelector } from '../../model/selector.js';
import type { JobDefinition } from '../../scheduler/scheduler.js';
import type { Api, RouteContext } from './context.js';
import { checkedQuery, deferred } from './context.js';

/** Largest body of `PUT /v1/jobs` when the service names none: room for thousands of jobs. */
export const DEFAULT_BULK_BODY_LIMIT = 32 * 1024 * 1024;

const ApplyQuery = Type.Object(
  {
    prune: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'key=value[,key=value…]: also remove the jobs whose metadata matches and that are not in the list',
      }),
    ),
    dryRun: Type.Optional(Type.Boolean({ description: 'report the drift, change nothing' })),
  },
  { additionalProperties: false },
);

const ClearQuery = Type.Object(
  {
    selector: Type.String({
      minLength: 1,
      description: 'key=value[,key=value…]: the metadata every removed job has',
    }),
    dryRun: Type.Optional(Type.Boolean({ description: 'list the jobs, remove nothing' })),
  },
  { additionalProperties: false },
);

/**
 * The routes on a set of jobs: `PUT /v1/jobs` applies a list of definitions
 * (jobs as code, one store transaction, a drift report) and `DELETE /v1/jobs`
 * removes the jobs a selector matches.
 */
export function jobSetRoutes(
  app: Api,
  context: RouteContext,
  bulkBodyLimit = DEFAULT_BULK_BODY_LIMIT,
): void {
  applyRoute(app, context, bulkBodyLimit);
  clearRoute(app, context);
}

function applyRoute(app: Api, { scheduler, views, schemas }: RouteContext, bodyLimit: number) {
  app.put(
    '/v1/jobs',
    {
      bodyLimit,
      schema: {
        tags: ['jobs'],
        summary:
          'Apply a list of job definitions in one transaction: create, update, and with prune remove; the drift report',
        querystring: ApplyQuery,
        body: deferred(Type.Array(schemas.job)),
      },
    },
    async (request) => {
      const query = checkedQuery(ApplyQuery, request.query);
      const prune = query.prune === undefined ? undefined : parseSelector(query.prune, '/prune');
      const definitions = await withSecretsKept(request.body);
      return scheduler.apply(definitions, {
        ...(prune === undefined ? {} : { prune }),
        ...(query.dryRun === undefined ? {} : { dryRun: query.dryRun }),
      });
    },
  );

  /**
   * The list with the redaction placeholders of its targets replaced by the
   * stored secrets (as a PUT of one job does); only the jobs that send one are read.
   */
  async function withSecretsKept(body: unknown): Promise<JobDefinition[]> {
    if (!Array.isArray(body)) return body as JobDefinition[];
    return Promise.all(
      body.map(async (item: unknown) => {
        const { id, target, onFailure } = (item ?? {}) as Partial<JobDefinition>;
        const placeholder = JSON.stringify([target, onFailure]).includes(JSON.stringify(REDACTED));
        if (typeof id !== 'string' || !placeholder) return item as JobDefinition;
        return views.restore(item as JobDefinition, await scheduler.getJob(id));
      }),
    );
  }
}

function clearRoute(app: Api, { scheduler }: RouteContext) {
  app.delete(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Remove every job a selector matches (and its executions) in one transaction',
        querystring: ClearQuery,
      },
    },
    async (request) => {
      const query = checkedQuery(ClearQuery, request.query);
      return scheduler.clearJobs({
        selector: parseSelector(query.selector, '/selector'),
        ...(query.dryRun === undefined ? {} : { dryRun: query.dryRun }),
      });
    },
  );
}
