import Fastify, { type FastifySchemaCompiler } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { schemaCheck } from '../model/check.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { bearerCheck } from './auth.js';
import type { ServiceMetrics } from './metrics.js';
import { notFoundHandler, problemHandler } from './problem.js';
import { DEFERRED, type Api } from './routes/context.js';
import { executionRoutes } from './routes/executions.js';
import { jobRoutes } from './routes/jobs.js';
import { metaRoutes } from './routes/meta.js';
import { JobViews } from './views.js';

/** What the HTTP API is built from. */
export interface ApiOptions {
  scheduler: Scheduler;
  logger: Logger;
  metrics: ServiceMetrics;
  /** When set, `/v1/*` and `/metrics` need `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body, in bytes. */
  bodyLimit: number;
  /** Longest time to receive a whole request. */
  readTimeoutMs: number;
  /** Longest a connection may stay silent while a request is handled. */
  writeTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  idleTimeoutMs: number;
  /** True when the store answers and the engine runs (`/readyz`). */
  ready: () => Promise<boolean>;
}

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
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(problemHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch (err) {
        done(Object.assign(err as Error, { statusCode: 400 }), undefined);
      }
    },
  );
  if (options.token !== undefined) {
    const check = bearerCheck(options.token);
    app.addHook('onRequest', async (request) => {
      if (
        request.url.startsWith('/v1/') ||
        request.url === '/metrics' ||
        request.url.startsWith('/metrics?')
      ) {
        await check(request);
      }
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
  executionRoutes(app, context);
  metaRoutes(app, context, options.ready);
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

/**
 * Checks params, query and bodies with the model's TypeBox checks (errors
 * name the field), converting query text to the schema's types. Job bodies
 * are left to the scheduler, which validates them with exact codes and paths.
 */
const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  if ((schema as Record<string, unknown>)[DEFERRED] !== undefined)
    return (data) => ({ value: data });
  const check = schemaCheck(schema);
  const fromText = httpPart === 'querystring' || httpPart === 'params';
  return (data) => {
    const value: unknown = fromText ? Value.Convert(schema, data) : data;
    try {
      check.assert(value, '');
      return { value };
    } catch (error) {
      return { error: error as Error };
    }
  };
};
