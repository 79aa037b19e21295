import Fastify, { type FastifyRequest, type FastifySchemaCompiler } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { IsOptional, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { ChimeError } from '../errors.js';
import { schemaCheck } from '../model/check.js';
import { assertJsonDepth } from '../model/json-value.js';
import { JOB_ID_PATTERN, MAX_PATH_PARAM_LENGTH } from '../model/limits.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { accessCheck, assertAllowed } from './auth.js';
import { DASHBOARD_ROUTES, dashboardRoutes } from './dashboard.js';
import { EventHub } from './live/event-hub.js';
import { SSE_DEFAULTS, type SseLimits } from './live/sse-stream.js';
import type { ServiceMetrics } from './metrics.js';
import { clientErrorHandler, notFoundHandler, problemHandler } from './problem.js';
import { RecentStats } from './recent-stats.js';
import { accessRoutes } from './routes/access.js';
import { DEFERRED, type Api } from './routes/context.js';
import { eventRoutes } from './routes/events.js';
import { executionRoutes } from './routes/executions.js';
import { instanceRoutes } from './routes/instances.js';
import { jobRoutes } from './routes/jobs.js';
import { jobSetRoutes } from './routes/job-sets.js';
import { metaRoutes } from './routes/meta.js';
import { overviewRoutes } from './routes/overview.js';
import { JobViews } from './views.js';

/** What the HTTP API is built from. */
export interface ApiOptions {
  scheduler: Scheduler;
  logger: Logger;
  metrics: ServiceMetrics;
  /** When set, every route but {@link PUBLIC_ROUTES} needs `Authorization: Bearer <token>`. */
  token?: string;
  /** A second token that may only read: safe methods pass, anything else is `CHIME_ERR_FORBIDDEN`. */
  readToken?: string;
  /** Where the built dashboard is; without it, `/` is not served. */
  dashboardDir?: string;
  /** Limits of each `/v1/events` connection. @defaultValue {@link SSE_DEFAULTS} */
  sse?: SseLimits;
  /** Largest request body, in bytes. */
  bodyLimit: number;
  /** Largest body of `PUT /v1/jobs` (a list of jobs), in bytes. @defaultValue 32 MiB */
  bulkBodyLimit?: number;
  /** Longest time to receive a whole request. */
  readTimeoutMs: number;
  /** Longest a connection may stay silent while a request is handled. */
  writeTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  idleTimeoutMs: number;
  /** True when the store answers and the engine runs (`/readyz`). */
  ready: () => Promise<boolean>;
}

/** The routes anyone may call when a token is set: probes and the API description. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/openapi.json']);

/**
 * The management API: fastify with the model's TypeBox schemas, errors as
 * `application/problem+json`, unknown fields refused, the OpenAPI description
 * generated from the same schemas, bearer auth when a token is set.
 */
export async function buildApi(options: ApiOptions): Promise<Api> {
  const app: Api = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    requestTimeout: options.readTimeoutMs,
    connectionTimeout: options.writeTimeoutMs,
    keepAliveTimeout: options.idleTimeoutMs,
    // Every id that can be created can be addressed; a longer segment is CHIME_ERR_URL_TOO_LONG.
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // Every error is a problem: fastify's own before routing, Node's parser's, and a close's.
    frameworkErrors: problemHandler,
    clientErrorHandler,
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  refuseWhileClosing(app);

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(problemHandler);
  app.setNotFoundHandler(notFoundHandler);
  jsonBodies(app);
  const accessOf = accessCheck(options);
  if (options.token !== undefined) {
    // Decided by the matched route, not the raw URL: `/%761/jobs` routes to `/v1/jobs`
    // too. Unknown routes need the token as well, so they reveal nothing.
    app.addHook('onRequest', async (request) => {
      const url = request.routeOptions.url ?? '';
      if (PUBLIC_ROUTES.has(url) || DASHBOARD_ROUTES.has(url)) return;
      assertAllowed(accessOf(request), request.method);
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'chime', description: 'The chime scheduler management API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(options.token === undefined ? {} : { security: [{ bearer: [] }] }),
    },
  });

  const schemas = options.scheduler.schemas();
  const context = { scheduler: options.scheduler, views: new JobViews(schemas.target), schemas };
  jobRoutes(app, context);
  jobSetRoutes(app, context, options.bulkBodyLimit);
  executionRoutes(app, context);
  instanceRoutes(app, context);
  metaRoutes(app, context, options.ready);
  liveRoutes(app, options);
  accessRoutes(app, accessOf, options.token !== undefined);
  if (options.dashboardDir !== undefined) await dashboardRoutes(app, options.dashboardDir);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/metrics',
    { schema: { tags: ['meta'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      return reply
        .type(options.metrics.registry.contentType)
        .send(await options.metrics.registry.metrics());
    },
  );
  await app.ready();
  return app;
}

/** Once the API closes, requests still arriving on open connections answer 503 as a problem. */
function refuseWhileClosing(app: Api): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) {
      throw new ChimeError(
        'CHIME_ERR_SCHEDULER_STOPPED',
        'the service is shutting down and takes no more requests',
      );
    }
  });
}

/**
 * Bodies are JSON (or a JSON merge patch, parsed as strictly): `__proto__` and
 * `constructor.prototype` keys are refused rather than silently dropped, and a
 * document nested deeper than the JSON limit is refused before any route walks
 * it. fastify's text/plain parser would hand a string to the routes, so such a
 * body is refused as an unsupported media type.
 */
function jsonBodies(app: Api): void {
  const parse = app.getDefaultJsonParser('error', 'error') as (
    request: FastifyRequest,
    body: string,
    done: (err: Error | null, value?: unknown) => void,
  ) => void;
  const parseChecked = (request: FastifyRequest, body: string): Promise<unknown> =>
    new Promise((resolve, reject) =>
      parse(request, body, (err, value) => {
        if (err) return reject(err);
        try {
          assertJsonDepth(value, '');
          resolve(value);
        } catch (error) {
          reject(error as Error);
        }
      }),
    );
  app.removeContentTypeParser(['text/plain', 'application/json']);
  for (const type of ['application/json', 'application/merge-patch+json'])
    app.addContentTypeParser(type, { parseAs: 'string' }, parseChecked);
}

/**
 * The live routes: `/v1/events` and the overview's data, fed by the
 * scheduler's events from now until the API closes (open streams are ended
 * first, so closing does not wait for them).
 */
function liveRoutes(app: Api, options: ApiOptions): void {
  const hub = new EventHub(options.scheduler);
  const stats = new RecentStats();
  const stopStats = stats.observe(options.scheduler);
  options.metrics.observeStreams(() => hub.size);
  app.addHook('preClose', async () => {
    hub.close();
    stopStats();
  });
  eventRoutes(app, hub, options.sse ?? SSE_DEFAULTS);
  overviewRoutes(app, options.scheduler, stats);
}

/**
 * Checks params, query and bodies with the model's TypeBox checks (errors
 * name the field), converting query text to the schema's types. Job bodies
 * are left to the scheduler, which validates them with exact codes and paths.
 * An optional body may be absent; a job id in the path that is no job id is
 * `CHIME_ERR_JOB_ID_INVALID`, as it is in a body.
 */
const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  if ((schema as Record<string, unknown>)[DEFERRED] !== undefined)
    return (data) => ({ value: data });
  const check = schemaCheck(schema);
  const fromText = httpPart === 'querystring' || httpPart === 'params';
  const optional = httpPart === 'body' && IsOptional(schema);
  const jobIdParam =
    httpPart === 'params' &&
    (schema as { properties?: Record<string, { pattern?: string }> }).properties?.['id']
      ?.pattern === JOB_ID_PATTERN;
  return (data) => {
    // fastify hands a request without a body over as null (or undefined).
    if (optional && (data === undefined || data === null)) return { value: undefined };
    const value: unknown = fromText ? Value.Convert(schema, data) : data;
    try {
      check.assert(value, '');
      return { value };
    } catch (error) {
      if (jobIdParam && error instanceof ChimeError && error.path === '/id') {
        const id = (value as { id?: unknown }).id;
        return {
          error: new ChimeError(
            'CHIME_ERR_JOB_ID_INVALID',
            `job id ${JSON.stringify(id)} must match ${JOB_ID_PATTERN}`,
            { path: '/id' },
          ),
        };
      }
      return { error: error as Error };
    }
  };
};
