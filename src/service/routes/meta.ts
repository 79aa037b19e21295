import { setTimeout as sleep } from 'node:timers/promises';
import Type from 'typebox';
import { ChimeError } from '../../errors.js';
import { MAX_FIRES } from '../../model/limits.js';
import type { Schedule } from '../../model/schedule.js';
import type { Api, RouteContext } from './context.js';
import { checkedQuery } from './context.js';

/** How long `/readyz` waits for the store to answer before it says not ready. */
export const READY_TIMEOUT_MS = 2_000;

const PreviewQuery = Type.Object(
  {
    cron: Type.Optional(Type.String({ minLength: 1, description: 'a cron expression' })),
    tz: Type.Optional(
      Type.String({ minLength: 1, description: 'IANA zone of the cron expression' }),
    ),
    every: Type.Optional(Type.String({ minLength: 1, description: 'an interval such as 5m' })),
    startAt: Type.Optional(
      Type.String({ description: 'no fire before (ISO 8601); of an interval, its anchor' }),
    ),
    endAt: Type.Optional(Type.String({ description: 'no fire after (ISO 8601)' })),
    at: Type.Optional(Type.String({ description: 'a one-shot instant (ISO 8601)' })),
    custom: Type.Optional(
      Type.String({ minLength: 1, description: 'a custom schedule registered in the library' }),
    ),
    params: Type.Optional(Type.String({ description: "the custom schedule's params (JSON)" })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    maxFires: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_FIRES,
        description: "the fires left to a job's maxFires",
      }),
    ),
    from: Type.Optional(Type.String({ description: 'fires after this instant (default now)' })),
  },
  { additionalProperties: false },
);

/** The schema, preview and health routes. */
export function metaRoutes(
  app: Api,
  { scheduler, schemas }: RouteContext,
  ready: () => Promise<boolean>,
): void {
  app.get(
    '/v1/schema/job',
    { schema: { tags: ['meta'], summary: 'The JSON Schema of a job definition' } },
    async () => schemas.job,
  );

  app.get(
    '/v1/schedules/preview',
    {
      schema: {
        tags: ['meta'],
        summary: 'Preview the next fires of a schedule, UTC and local, DST moves marked',
        querystring: PreviewQuery,
      },
    },
    async (request) => {
      const query = checkedQuery(PreviewQuery, request.query);
      const schedule = scheduleOf(query);
      try {
        const from = query.from === undefined ? {} : { from: query.from };
        const limit = query.maxFires === undefined ? {} : { maxFires: query.maxFires };
        return {
          schedule,
          fires: scheduler.nextFireTimes(schedule, { count: query.count ?? 10, ...from, ...limit }),
        };
      } catch (err) {
        throw asQueryError(err);
      }
    },
  );

  app.get(
    '/healthz',
    { schema: { tags: ['meta'], summary: 'The process is alive' } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { schema: { tags: ['meta'], summary: 'The store answers and the engine runs' } },
    async (_request, reply) => {
      // A store that does not answer (a black-holed network) is not ready either.
      const ok = await Promise.race([
        ready(),
        sleep(READY_TIMEOUT_MS, false, { ref: false }),
      ]).catch(() => false);
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ready' : 'not ready', ...scheduler.status() });
    },
  );
}

/** Schedule field paths as the query parameters that carried them. */
const QUERY_PATHS: Record<string, string> = {
  '/schedule/expr': '/cron',
  '/schedule/tz': '/tz',
  '/schedule/every': '/every',
  '/schedule/startAt': '/startAt',
  '/schedule/endAt': '/endAt',
  '/schedule/at': '/at',
  '/schedule/name': '/custom',
  '/schedule/params': '/params',
};

function asQueryError(err: unknown): unknown {
  if (!(err instanceof ChimeError) || err.path === undefined) return err;
  const path = QUERY_PATHS[err.path] ?? err.path;
  return new ChimeError(err.code, err.message.replace(` (at ${err.path})`, ''), {
    path,
    cause: err,
  });
}

function scheduleOf(query: Type.Static<typeof PreviewQuery>): Schedule {
  const kinds = [query.cron, query.every, query.at, query.custom].filter(
    (v) => v !== undefined,
  ).length;
  if (kinds !== 1) {
    throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'give exactly one of cron, every, at, custom', {
      path: '/cron',
    });
  }
  if (query.custom !== undefined) return customOf(query.custom, query.params);
  const window = {
    ...(query.startAt ? { startAt: query.startAt } : {}),
    ...(query.endAt ? { endAt: query.endAt } : {}),
  };
  if (query.cron !== undefined)
    return { kind: 'cron', expr: query.cron, ...(query.tz ? { tz: query.tz } : {}), ...window };
  if (query.every !== undefined) return { kind: 'interval', every: query.every, ...window };
  return { kind: 'once', at: query.at as string };
}

function customOf(name: string, params: string | undefined): Schedule {
  if (params === undefined) return { kind: 'custom', name };
  try {
    return { kind: 'custom', name, params: JSON.parse(params) as unknown };
  } catch {
    throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'params is not JSON', { path: '/params' });
  }
}
