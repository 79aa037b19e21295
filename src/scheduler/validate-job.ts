import Type from 'typebox';
import { ChimeError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import { validateSchedule } from '../schedules/validate.js';
import type { CustomSchedules } from '../schedules/custom.js';
import { schemaCheck, type SchemaCheck } from '../model/check.js';
import { parseDuration } from '../model/duration.js';
import { parseInstant } from '../model/instant.js';
import { jobDefinitionSchema, type JobDefinition } from '../model/job.js';
import { assertJsonDepth, assertJsonField } from '../model/json-value.js';
import { assertStorableText } from '../model/storable-text.js';
import { JOB_ID_PATTERN } from '../model/limits.js';
import {
  CronScheduleSchema,
  CustomScheduleSchema,
  IntervalScheduleSchema,
  OnceScheduleSchema,
  SCHEDULE_KINDS,
} from '../model/schedule.js';
import type { TargetBase } from '../model/target.js';

/** Limits applied to job definitions. */
export interface JobLimits {
  /** Largest payload, in bytes of JSON. */
  maxPayloadBytes: number;
}

const JOB_ID = new RegExp(JOB_ID_PATTERN);
const SCHEDULE_CHECKS: Record<(typeof SCHEDULE_KINDS)[number], SchemaCheck> = {
  cron: schemaCheck(CronScheduleSchema),
  interval: schemaCheck(IntervalScheduleSchema),
  once: schemaCheck(OnceScheduleSchema),
  custom: schemaCheck(CustomScheduleSchema),
};
const FIELDS_CHECK = schemaCheck(jobDefinitionSchema(Type.Unknown(), Type.Unknown()));
const TRIGGER_CHECK = schemaCheck(
  Type.Object({ payload: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
);

/**
 * Validates job definitions against the model's schemas and the registered
 * executors' target schemas, field by field, so the error names the exact
 * field: JSON nesting first (nothing walks a value nested too deep), then
 * unknown fields, types, the schedule (cron syntax, zone, interval, dates),
 * the target, durations, metadata and payload size.
 */
export class JobValidator<T extends TargetBase = TargetBase> {
  private readonly targetChecks = new Map<string, SchemaCheck>();

  constructor(
    private readonly executors: ReadonlyMap<string, Executor>,
    private readonly limits: JobLimits,
    private readonly customs?: CustomSchedules,
  ) {
    for (const [type, executor] of executors)
      this.targetChecks.set(type, schemaCheck(executor.schema));
  }

  /**
   * Returns the definition, unchanged, when it is valid.
   * @throws ChimeError with the code and path of the first problem.
   */
  validate(input: unknown, path = ''): JobDefinition<T> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'a job definition must be an object', {
        path,
      });
    }
    assertJsonDepth(input, path);
    assertStorableText(input, path);
    const id = (input as { id?: unknown }).id;
    if (id !== undefined && (typeof id !== 'string' || !JOB_ID.test(id))) {
      throw new ChimeError(
        'CHIME_ERR_JOB_ID_INVALID',
        `job id ${JSON.stringify(id)} must match ${JOB_ID_PATTERN}`,
        { path: `${path}/id` },
      );
    }
    FIELDS_CHECK.assert(input, path);
    const job = input as JobDefinition<T>;
    this.validateSchedule(job.schedule, `${path}/schedule`);
    if (job.target !== undefined) this.validateTarget(job.target, `${path}/target`);
    if (job.onFailure !== undefined) this.validateTarget(job.onFailure, `${path}/onFailure`);
    for (const [field, value, min, max] of durationFields(job)) {
      if (value === undefined) continue;
      const ms = parseDuration(value, `${path}${field}`);
      if (ms < min || ms > max) {
        throw new ChimeError(
          'CHIME_ERR_DURATION_INVALID',
          `${JSON.stringify(value)} is out of range: use ${min} ms to ${max} ms`,
          { path: `${path}${field}` },
        );
      }
    }
    this.validatePayload(job.payload, `${path}/payload`);
    return job;
  }

  /** Validates a schedule on its own (kind, fields, then meaning). */
  validateSchedule(schedule: unknown, path: string): void {
    const kind = (schedule as { kind?: unknown } | null)?.kind;
    if (typeof schedule !== 'object' || schedule === null) {
      throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'a schedule must be an object', { path });
    }
    const check = SCHEDULE_CHECKS[kind as (typeof SCHEDULE_KINDS)[number]];
    if (typeof kind !== 'string' || !check) {
      throw new ChimeError(
        'CHIME_ERR_SCHEDULE_KIND_UNKNOWN',
        `schedule kind ${JSON.stringify(kind)} is not one of ${SCHEDULE_KINDS.join(', ')}`,
        { path: `${path}/kind` },
      );
    }
    check.assert(schedule, path);
    validateSchedule(schedule as JobDefinition['schedule'], path, this.customs);
  }

  /** Validates a payload on its own: nested within the limit, JSON-serializable, within the size limit. */
  validatePayload(payload: unknown, path: string): void {
    assertJsonField(payload, path, { name: 'payload', maxBytes: this.limits.maxPayloadBytes });
  }

  /** Validates the parameters of a trigger: `{ payload? }`, nested within the limit as a whole. */
  validateTrigger(params: unknown): void {
    assertJsonDepth(params, '');
    assertStorableText(params, '');
    TRIGGER_CHECK.assert(params, '');
    if ((params as { payload?: unknown }).payload !== undefined)
      this.validatePayload((params as { payload?: unknown }).payload, '/payload');
  }

  /**
   * Refuses a `once` schedule whose instant lies further in the past than the
   * job's misfire grace (it would only ever be recorded as missed).
   */
  assertNotInPast(job: JobDefinition, now: number, graceMs: number, path = ''): void {
    if (job.schedule.kind !== 'once') return;
    const at = parseInstant(job.schedule.at, `${path}/schedule/at`);
    if (at < now - graceMs) {
      throw new ChimeError(
        'CHIME_ERR_SCHEDULE_IN_PAST',
        `the one-shot instant ${job.schedule.at} is ${now - at} ms in the past, beyond the misfire grace of ${graceMs} ms`,
        { path: `${path}/schedule/at` },
      );
    }
  }

  private validateTarget(target: unknown, path: string): void {
    const type = (target as Partial<TargetBase> | null)?.type;
    const check = typeof type === 'string' ? this.targetChecks.get(type) : undefined;
    if (typeof target !== 'object' || target === null) {
      throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'a target must be an object', { path });
    }
    if (type === undefined) {
      throw new ChimeError('CHIME_ERR_MISSING_FIELD', 'missing required field "type"', {
        path: `${path}/type`,
      });
    }
    if (!check) {
      throw new ChimeError(
        'CHIME_ERR_TARGET_TYPE_UNKNOWN',
        `target type ${JSON.stringify(type)} is not one of ${[...this.targetChecks.keys()].join(', ')}`,
        { path: `${path}/type` },
      );
    }
    check.assert(target, path);
    this.executors.get(type as string)?.validate?.(target as TargetBase, path);
  }
}

const DAY = 86_400_000;

/** The job's durations with their bounds in ms: `[path, value, min, max]`. */
function durationFields(
  job: JobDefinition,
): [string, number | string | undefined, number, number][] {
  return [
    ['/timeout', job.timeout, 1, 365 * DAY],
    ['/misfireGrace', job.misfireGrace, 0, 3_650 * DAY],
    ['/jitter', job.jitter, 0, DAY],
    ['/retry/initialDelay', job.retry?.initialDelay, 0, 365 * DAY],
    ['/retry/maxDelay', job.retry?.maxDelay, 0, 365 * DAY],
    ['/retention/maxAge', job.retention?.maxAge, 0, 3_650 * DAY],
    ['/staleAfter', job.staleAfter, 1_000, 3_650 * DAY],
  ];
}
