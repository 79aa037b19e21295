import Type, { type TSchema } from 'typebox';
import { DurationSchema, type Duration } from './duration.js';
import {
  MisfirePolicySchema,
  OverlapPolicySchema,
  RetentionPolicySchema,
  RetryPolicySchema,
} from './policies.js';
import type { MisfirePolicy, OverlapPolicy, RetentionPolicy, RetryPolicy } from './policies.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  JOB_ID_PATTERN,
  MAX_FIRES,
  MAX_JSON_DEPTH,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_VALUE_LENGTH,
  METADATA_KEY_PATTERN,
} from './limits.js';
import { ScheduleSchema, type Schedule } from './schedule.js';
import { StringMap } from './string-map.js';
import type { TargetBase } from './target.js';

/** Metadata: string → string, filterable by exact match (`listJobs({ metadata })`). */
export const MetadataSchema = StringMap(
  Type.String({ pattern: METADATA_KEY_PATTERN }),
  Type.String({ maxLength: MAX_METADATA_VALUE_LENGTH }),
  {
    maxProperties: MAX_METADATA_ENTRIES,
    description: `Up to ${MAX_METADATA_ENTRIES} string labels; keys ${METADATA_KEY_PATTERN}`,
  },
);

/**
 * The fields of a job definition, given a schema for its targets. One shape for
 * the library, the HTTP body, the CLI file and the store.
 */
export function jobDefinitionSchema(
  targetSchema: TSchema,
  scheduleSchema: TSchema = ScheduleSchema,
) {
  return Type.Object(
    {
      id: Type.Optional(Type.String({ pattern: JOB_ID_PATTERN })),
      schedule: scheduleSchema,
      target: Type.Optional(targetSchema),
      payload: Type.Optional(
        Type.Unknown({
          description: `Any JSON, handed to the target: at most the scheduler's maxPayloadBytes (default ${DEFAULT_MAX_PAYLOAD_BYTES}) bytes of JSON`,
        }),
      ),
      metadata: Type.Optional(MetadataSchema),
      retry: Type.Optional(RetryPolicySchema),
      timeout: Type.Optional(DurationSchema),
      misfire: Type.Optional(MisfirePolicySchema),
      misfireGrace: Type.Optional(DurationSchema),
      maxCatchUp: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      maxFires: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: MAX_FIRES,
          description:
            'After this many fires of its schedule (run or missed) the job is completed, like a one-shot',
        }),
      ),
      overlap: Type.Optional(OverlapPolicySchema),
      jitter: Type.Optional(DurationSchema),
      onFailure: Type.Optional(targetSchema),
      retention: Type.Optional(RetentionPolicySchema),
      staleAfter: Type.Optional(DurationSchema),
      paused: Type.Optional(Type.Boolean()),
    },
    {
      additionalProperties: false,
      title: 'JobDefinition',
      description: `A job definition; as a JSON document it nests at most ${MAX_JSON_DEPTH} levels of objects and arrays (payload and target bodies included)`,
    },
  );
}

/**
 * A job definition as callers write it (`ensureJob`, `submitJob`, `PUT /v1/jobs/{id}`).
 * Everything but `schedule` is optional; defaults are documented on each field.
 * `T` is the type of its targets: the library's public `JobDefinition` is
 * this with the union of the built-in targets (`executors/builtin.ts`).
 */
export interface JobDefinition<T extends TargetBase = TargetBase> {
  /** A slug matching {@link JOB_ID_PATTERN}; generated when absent. */
  id?: string;
  /** When the job fires. */
  schedule: Schedule;
  /**
   * What a fire does.
   * @defaultValue `{ type: 'handler' }`
   */
  target?: T;
  /** JSON handed to the target. */
  payload?: unknown;
  /** String labels, filterable. */
  metadata?: Record<string, string>;
  /** Retries of failed attempts. */
  retry?: RetryPolicy;
  /**
   * Per-attempt timeout; the attempt's signal aborts at the deadline.
   * @defaultValue '5m'
   */
  timeout?: Duration;
  /**
   * What to do with fires missed while no instance ran.
   * @defaultValue 'fire_once'
   */
  misfire?: MisfirePolicy;
  /**
   * A fire started later than this after its instant counts as missed.
   * @defaultValue '1m'
   */
  misfireGrace?: Duration;
  /**
   * Most missed fires run by `catch_up`.
   * @defaultValue 100
   */
  maxCatchUp?: number;
  /**
   * After this many fires of its schedule (each one run, skipped or missed:
   * `fireCount`), the job is completed like a one-shot. Backfilled and
   * manually triggered executions do not count.
   */
  maxFires?: number;
  /**
   * Whether fires may run side by side.
   * @defaultValue 'allow'
   */
  overlap?: OverlapPolicy;
  /** Spread each fire up to this much late, deterministically per (job, fireAt). */
  jitter?: Duration;
  /** A target fired once when an execution has failed for good (the dead-letter). */
  onFailure?: T;
  /** How much history is kept. @defaultValue the scheduler's `retention` */
  retention?: RetentionPolicy;
  /** No success for this long makes the job stale: a `job:stale` event and metric, and `staleSince` set. */
  staleAfter?: Duration;
  /**
   * A paused job does not fire until resumed.
   * @defaultValue false
   */
  paused?: boolean;
}

/** The outcome of a job's latest finished execution. */
export interface LastOutcome {
  /** The execution's final status. */
  status: 'succeeded' | 'failed' | 'missed' | 'skipped' | 'cancelled';
  /** The execution's id. */
  executionId: string;
  /** When it finished (ISO 8601). */
  at: string;
  /** The error, for `failed`. */
  error?: string;
}

/**
 * A stored job as the library and the API return it: the definition with its
 * defaults resolved where they are state (`target`, `metadata`, `paused`, an
 * interval's anchor), plus the scheduler's state.
 */
export interface Job<T extends TargetBase = TargetBase> extends JobDefinition<T> {
  id: string;
  target: T;
  metadata: Record<string, string>;
  paused: boolean;
  /** The next fire not yet planned (ISO 8601), or null when none is left or the job is paused. */
  nextFireAt: string | null;
  /** Bumped by every change of the definition or of `paused`; unchanged by firing. */
  version: number;
  /** When the job was created (ISO 8601). */
  createdAt: string;
  /** When the definition last changed (ISO 8601). */
  updatedAt: string;
  /** When the schedule ran out of fires (a `once` job after its fire, or `maxFires` reached), else null. */
  completedAt: string | null;
  /** The fires of its schedule so far, run or missed: what `maxFires` counts. */
  fireCount: number;
  /** The latest finished execution's outcome, if any. */
  lastOutcome: LastOutcome | null;
  /** Run statistics, kept through the pruning of executions. */
  stats: JobStatsView;
  /** Since when the job has gone without success for `staleAfter` (ISO 8601), or null. */
  staleSince: string | null;
}

/** A job's run statistics (times ISO 8601). */
export interface JobStatsView {
  /** The latest fire that succeeded or failed for good. */
  lastFireAt: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  succeeded: number;
  failed: number;
  missed: number;
  skipped: number;
}
