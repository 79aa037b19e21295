import Type from 'typebox';
import { DurationSchema, type Duration } from './duration.js';
import { InstantSchema, formatInstant } from './instant.js';

/**
 * A cron schedule: 5 or 6 fields (seconds first when 6), `@hourly`-style macros,
 * `L`, `W` and `#`, evaluated in the IANA zone `tz` (default UTC). Fires only in
 * `[startAt, endAt]` when those are given.
 */
export const CronScheduleSchema = Type.Object(
  {
    kind: Type.Literal('cron'),
    expr: Type.String({ minLength: 1, maxLength: 256, description: 'Cron expression' }),
    tz: Type.Optional(Type.String({ minLength: 1, description: 'IANA time zone, default UTC' })),
    startAt: Type.Optional(InstantSchema),
    endAt: Type.Optional(InstantSchema),
  },
  { additionalProperties: false },
);

/**
 * An interval schedule: fires at `startAt + k·every` for k = 0, 1, 2, … until
 * `endAt`. The anchor never moves to when a run happened. Without `startAt`,
 * the anchor is the moment the job is created (and it is stored, so restarts
 * keep the same phase).
 */
export const IntervalScheduleSchema = Type.Object(
  {
    kind: Type.Literal('interval'),
    every: DurationSchema,
    startAt: Type.Optional(InstantSchema),
    endAt: Type.Optional(InstantSchema),
  },
  { additionalProperties: false },
);

/** A one-shot schedule: fires once at `at`, then the job is completed (kept, not deleted). */
export const OnceScheduleSchema = Type.Object(
  { kind: Type.Literal('once'), at: InstantSchema },
  { additionalProperties: false },
);

/**
 * A custom schedule: the fires of a function registered in the library by
 * `scheduler.schedule(name, fn)`, with `params` handed to it, for what cron
 * cannot express (business days, holidays, …).
 */
export const CustomScheduleSchema = Type.Object(
  {
    kind: Type.Literal('custom'),
    name: Type.String({ minLength: 1, maxLength: 200, description: 'A registered schedule' }),
    params: Type.Optional(Type.Unknown({ description: 'JSON handed to the schedule function' })),
  },
  { additionalProperties: false },
);

/** Any schedule, discriminated by `kind`. */
export const ScheduleSchema = Type.Union(
  [CronScheduleSchema, IntervalScheduleSchema, OnceScheduleSchema, CustomScheduleSchema],
  {
    description:
      'When a job fires: a cron expression, a fixed interval, once, or a custom schedule registered in the library.',
  },
);

/** A cron schedule. */
export type CronSchedule = Type.Static<typeof CronScheduleSchema>;
/** An interval schedule. */
export type IntervalSchedule = Type.Static<typeof IntervalScheduleSchema>;
/** A one-shot schedule. */
export type OnceSchedule = Type.Static<typeof OnceScheduleSchema>;
/** A custom schedule. */
export type CustomSchedule = Type.Static<typeof CustomScheduleSchema>;
/** Any schedule. */
export type Schedule = CronSchedule | IntervalSchedule | OnceSchedule | CustomSchedule;

/** The schedule kinds, for validation messages. */
export const SCHEDULE_KINDS = ['cron', 'interval', 'once', 'custom'] as const;

/** Bounds of a recurring schedule, as `Date`s or ISO text. */
export interface ScheduleWindow {
  /** First instant at which the schedule may fire. */
  startAt?: Date | string;
  /** Last instant at which the schedule may fire. */
  endAt?: Date | string;
}

function windowFields(window: ScheduleWindow): { startAt?: string; endAt?: string } {
  const out: { startAt?: string; endAt?: string } = {};
  if (window.startAt !== undefined) out.startAt = toIso(window.startAt);
  if (window.endAt !== undefined) out.endAt = toIso(window.endAt);
  return out;
}

function toIso(value: Date | string): string {
  return value instanceof Date ? formatInstant(value.getTime()) : value;
}

/**
 * Builds a cron schedule. Validation happens when the job is submitted.
 * @example cron('0 3 * * *', { tz: 'Europe/Berlin' })
 */
export function cron(expr: string, options: { tz?: string } & ScheduleWindow = {}): CronSchedule {
  const schedule: CronSchedule = { kind: 'cron', expr, ...windowFields(options) };
  if (options.tz !== undefined) schedule.tz = options.tz;
  return schedule;
}

/**
 * Builds an interval schedule anchored at `startAt` (default: when the job is created).
 * @example every('5m', { startAt: '2026-12-01T00:00:00Z' })
 */
export function every(duration: Duration, options: ScheduleWindow = {}): IntervalSchedule {
  return { kind: 'interval', every: duration, ...windowFields(options) };
}

/**
 * Builds a one-shot schedule.
 * @example once(new Date(Date.now() + 60_000))
 */
export function once(at: Date | string): OnceSchedule {
  return { kind: 'once', at: toIso(at) };
}

/**
 * Builds a custom schedule: the fires of the function registered as `name`.
 * @example custom('business-days', { at: '09:00', tz: 'Europe/Berlin' })
 */
export function custom(name: string, params?: unknown): CustomSchedule {
  return params === undefined ? { kind: 'custom', name } : { kind: 'custom', name, params };
}
