import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, memoryStore, type JobDefinition, type Scheduler } from '../src/index.js';
import { silent, testScheduler } from './helpers/scheduler.js';

const ok = { id: 'ok', schedule: { kind: 'cron', expr: '0 3 * * *' } };

/** [what, definition, code, path] */
const BAD: [string, unknown, string, string][] = [
  ['not an object', 'job', 'CHIME_ERR_INVALID_INPUT', ''],
  // A store could not keep these as given (Postgres refuses both): refused, not rewritten.
  [
    'a NUL in a metadata value',
    { ...ok, metadata: { team: 'ops\u0000' } },
    'CHIME_ERR_INVALID_INPUT',
    '/metadata/team',
  ],
  [
    'half a surrogate pair in a payload key',
    { ...ok, payload: { list: [{ 'k\ud83d': 1 }] } },
    'CHIME_ERR_INVALID_INPUT',
    '/payload/list/0/k\ud83d',
  ],
  [
    'bad cron',
    { ...ok, schedule: { kind: 'cron', expr: '61 * * * *' } },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    'cron with 7 fields',
    { ...ok, schedule: { kind: 'cron', expr: '0 0 0 * * * 2026' } },
    'CHIME_ERR_SCHEDULE_CRON_INVALID',
    '/schedule/expr',
  ],
  [
    'unknown tz',
    { ...ok, schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Mars/Olympus' } },
    'CHIME_ERR_SCHEDULE_TZ_INVALID',
    '/schedule/tz',
  ],
  [
    'negative interval',
    { ...ok, schedule: { kind: 'interval', every: -5 } },
    'CHIME_ERR_INVALID_INPUT',
    '/schedule/every',
  ],
  [
    'zero interval',
    { ...ok, schedule: { kind: 'interval', every: '0s' } },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'unparsable interval',
    { ...ok, schedule: { kind: 'interval', every: 'soon' } },
    'CHIME_ERR_SCHEDULE_INTERVAL_INVALID',
    '/schedule/every',
  ],
  [
    'end before start',
    {
      ...ok,
      schedule: {
        kind: 'interval',
        every: '1m',
        startAt: '2026-05-01T00:00:00Z',
        endAt: '2026-04-01T00:00:00Z',
      },
    },
    'CHIME_ERR_SCHEDULE_RANGE_INVALID',
    '/schedule/endAt',
  ],
  [
    'once in the past',
    { ...ok, schedule: { kind: 'once', at: '2020-01-01T00:00:00Z' } },
    'CHIME_ERR_SCHEDULE_IN_PAST',
    '/schedule/at',
  ],
  [
    'once without zone',
    { ...ok, schedule: { kind: 'once', at: '2026-12-01T10:00:00' } },
    'CHIME_ERR_DATE_INVALID',
    '/schedule/at',
  ],
  [
    'unknown schedule kind',
    { ...ok, schedule: { kind: 'hourly' } },
    'CHIME_ERR_SCHEDULE_KIND_UNKNOWN',
    '/schedule/kind',
  ],
  ['missing schedule', { id: 'x' }, 'CHIME_ERR_MISSING_FIELD', '/schedule'],
  [
    'unknown target type',
    { ...ok, target: { type: 'ftp' } },
    'CHIME_ERR_TARGET_TYPE_UNKNOWN',
    '/target/type',
  ],
  [
    'unknown target field',
    { ...ok, target: { type: 'handler', name: 'a', retries: 3 } },
    'CHIME_ERR_UNKNOWN_FIELD',
    '/target/retries',
  ],
  [
    'unknown onFailure type',
    { ...ok, onFailure: { type: 'pager' } },
    'CHIME_ERR_TARGET_TYPE_UNKNOWN',
    '/onFailure/type',
  ],
  ['bad id', { ...ok, id: '-starts-with-dash' }, 'CHIME_ERR_JOB_ID_INVALID', '/id'],
  ['id too long', { ...ok, id: 'a'.repeat(201) }, 'CHIME_ERR_JOB_ID_INVALID', '/id'],
  ['id with a space', { ...ok, id: 'my job' }, 'CHIME_ERR_JOB_ID_INVALID', '/id'],
  [
    'oversized payload',
    { ...ok, payload: { blob: 'x'.repeat(300 * 1024) } },
    'CHIME_ERR_PAYLOAD_TOO_LARGE',
    '/payload',
  ],
  [
    'unknown top-level field',
    { ...ok, cronExpr: '* * * * *' },
    'CHIME_ERR_UNKNOWN_FIELD',
    '/cronExpr',
  ],
  [
    'unknown schedule field',
    { ...ok, schedule: { kind: 'cron', expr: '0 3 * * *', timezone: 'UTC' } },
    'CHIME_ERR_UNKNOWN_FIELD',
    '/schedule/timezone',
  ],
  ['bad duration', { ...ok, timeout: '5 fortnights' }, 'CHIME_ERR_DURATION_INVALID', '/timeout'],
  [
    'bad retry',
    { ...ok, retry: { maxAttempts: 0 } },
    'CHIME_ERR_INVALID_INPUT',
    '/retry/maxAttempts',
  ],
  [
    'bad retry delay',
    { ...ok, retry: { initialDelay: 'later' } },
    'CHIME_ERR_DURATION_INVALID',
    '/retry/initialDelay',
  ],
  ['bad misfire', { ...ok, misfire: 'panic' }, 'CHIME_ERR_INVALID_INPUT', '/misfire'],
  ['bad overlap', { ...ok, overlap: 'queue' }, 'CHIME_ERR_INVALID_INPUT', '/overlap'],
  [
    'bad metadata value',
    { ...ok, metadata: { team: 5 } },
    'CHIME_ERR_INVALID_INPUT',
    '/metadata/team',
  ],
  [
    'bad metadata key',
    { ...ok, metadata: { 'team name': 'a' } },
    'CHIME_ERR_INVALID_INPUT',
    '/metadata/team name',
  ],
];

describe('bad job definitions', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler?.stop({ timeoutMs: 0 }));

  const cases = BAD.map(([what, definition, code, path]) => ({ what, definition, code, path }));
  it.each(cases)(
    '$what → $code at $path, and nothing is stored',
    async ({ definition, code, path }) => {
      scheduler = testScheduler().scheduler;
      await scheduler.start();
      for (const call of [
        scheduler.ensureJob.bind(scheduler),
        scheduler.submitJob.bind(scheduler),
      ]) {
        const attempt = call(definition as JobDefinition);
        await expect(attempt).rejects.toMatchObject({ name: 'ChimeError', code, path });
      }
      expect((await scheduler.listJobs()).items).toEqual([]);
    },
  );

  it('says what is wrong and where in the message', async () => {
    scheduler = testScheduler().scheduler;
    await scheduler.start();
    const err = await scheduler
      .ensureJob({
        ...ok,
        schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Mars/Olympus' },
      } as JobDefinition)
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(/Mars\/Olympus/);
    expect((err as Error).message).toMatch(/\/schedule\/tz/);
  });

  it('rejects a bad payload of a trigger, and bad listing parameters', async () => {
    scheduler = testScheduler().scheduler;
    await scheduler.start();
    await scheduler.ensureJob(ok as JobDefinition);
    await expect(scheduler.triggerJob('ok', { payload: { n: 10n } })).rejects.toMatchObject({
      code: 'CHIME_ERR_PAYLOAD_NOT_JSON',
      path: '/payload',
    });
    await expect(scheduler.listJobs({ limit: 0 })).rejects.toMatchObject({
      code: 'CHIME_ERR_INVALID_INPUT',
      path: '/limit',
    });
    await expect(scheduler.listExecutions({ status: 'done' as never })).rejects.toMatchObject({
      code: 'CHIME_ERR_INVALID_INPUT',
      path: '/status',
    });
  });

  it('rejects invalid scheduler options with CHIME_ERR_OPTION_INVALID naming the option', () => {
    expect(() => createScheduler({ store: memoryStore(), logger: silent, concurrency: 0 })).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/concurrency' }),
    );
    expect(() => createScheduler({ store: memoryStore(), logger: silent, leaseMs: 10 })).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/leaseMs' }),
    );
    expect(() =>
      createScheduler({ store: memoryStore(), logger: silent, pollIntervalMs: 5 }),
    ).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/pollIntervalMs' }),
    );
    expect(() =>
      createScheduler({ store: memoryStore(), logger: silent, colour: 'red' } as never),
    ).toThrow(expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/colour' }));
  });
});
