import Type from 'typebox';
import { ChimeError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import { parseInstant } from '../../model/instant.js';
import type { RecentStats } from '../recent-stats.js';
import { upcomingFires } from '../upcoming-fires.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import { checkedQuery, type Api } from './context.js';

const DAY_MS = 24 * 3600_000;
/** The longest window of upcoming fires. */
const MAX_WINDOW_MS = 7 * DAY_MS;

const UpcomingQuery = Type.Object(
  {
    until: Type.Optional(
      Type.String({ description: 'end of the window, ISO 8601 (default: 24 hours from now)' }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'most fires (default 200)' }),
    ),
    perJob: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: 'most fires of one job (default: limit)',
      }),
    ),
  },
  { additionalProperties: false },
);

const RecentQuery = Type.Object(
  {
    window: Type.Optional(
      Type.String({ description: 'how far back, up to 15m, such as 5m (default 5m)' }),
    ),
  },
  { additionalProperties: false },
);

/** The overview's data: fires of the next hours, lag and throughput of the last minutes. */
export function overviewRoutes(app: Api, scheduler: Scheduler, stats: RecentStats): void {
  app.get(
    '/v1/fires/upcoming',
    {
      schema: {
        tags: ['overview'],
        summary: 'Fires of every unpaused job from now until a time, soonest first, bounded',
        description:
          'Computed from the jobs due within the window (served by the due index) with the ' +
          "scheduler's own schedule code; `truncated` is true when the window holds more fires " +
          'than `limit`. Jitter is not applied. At most 7 days ahead.',
        querystring: UpcomingQuery,
      },
    },
    async (request) => {
      const query = checkedQuery(UpcomingQuery, request.query);
      const from = Date.now();
      const until = query.until === undefined ? from + DAY_MS : parseInstant(query.until, '/until');
      if (until < from || until > from + MAX_WINDOW_MS) {
        throw new ChimeError(
          'CHIME_ERR_INVALID_INPUT',
          'until must lie between now and 7 days from now',
          { path: '/until' },
        );
      }
      const limit = query.limit ?? 200;
      const jobs = await scheduler.listDueJobs({ until, limit });
      const fires = upcomingFires(jobs, { from, until, limit, perJob: query.perJob ?? limit });
      return { from: new Date(from).toISOString(), until: new Date(until).toISOString(), ...fires };
    },
  );

  app.get(
    '/v1/stats/recent',
    {
      schema: {
        tags: ['overview'],
        summary: 'Fire lag (p50, p99, max) and throughput of the last minutes, in 10 s buckets',
        description:
          'Of the executions this instance ran, from an in-memory ring of the last 15 minutes ' +
          '(reset by a restart). Lag is the first attempt’s start minus the fire instant.',
        querystring: RecentQuery,
      },
    },
    async (request) => {
      const query = checkedQuery(RecentQuery, request.query);
      const windowMs =
        query.window === undefined ? 5 * 60_000 : parseDuration(query.window, '/window');
      if (windowMs <= 0 || windowMs > 15 * 60_000) {
        throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'window must be from 1ms to 15m', {
          path: '/window',
        });
      }
      return { instanceId: scheduler.instanceId, ...stats.summary(windowMs) };
    },
  );
}
