import Type from 'typebox';
import { DurationSchema } from './duration.js';

/**
 * How a failed attempt is retried. An attempt that throws is retried after a
 * backoff until `maxAttempts` attempts have run; `PermanentError` stops at once.
 */
export const RetryPolicySchema = Type.Object(
  {
    /**
     * Attempts in all, the first one included.
     * @defaultValue 3
     */
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /**
     * `exponential` doubles the delay after each failed attempt; `fixed` keeps it.
     * @defaultValue 'exponential'
     */
    backoff: Type.Optional(Type.Union([Type.Literal('exponential'), Type.Literal('fixed')])),
    /**
     * Delay before the first retry.
     * @defaultValue '1s'
     */
    initialDelay: Type.Optional(DurationSchema),
    /**
     * Upper bound of any retry delay (also bounds a receiver's `Retry-After`).
     * @defaultValue '5m'
     */
    maxDelay: Type.Optional(DurationSchema),
    /**
     * Randomize each delay between 1× and 2× its value, so failing jobs do not retry in step.
     * @defaultValue true
     */
    jitter: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A retry policy as written by users. */
export type RetryPolicy = Type.Static<typeof RetryPolicySchema>;

/**
 * What happens to fires that were missed while no instance ran:
 * - `fire_once`: one late fire now (the newest missed one), the rest recorded as `missed`;
 * - `catch_up`: every missed fire, oldest first, bounded by `maxCatchUp` (older ones recorded as `missed`);
 * - `skip`: all recorded as `missed`; the job waits for its next future fire.
 */
export const MisfirePolicySchema = Type.Union(
  [Type.Literal('fire_once'), Type.Literal('catch_up'), Type.Literal('skip')],
  { description: 'fire_once | catch_up | skip' },
);

/** A misfire policy. */
export type MisfirePolicy = Type.Static<typeof MisfirePolicySchema>;

/**
 * What a fire does while an earlier execution of its job is unfinished
 * (running, or waiting for a retry):
 * - `allow`: it runs side by side;
 * - `forbid`: it is recorded as `skipped`;
 * - `replace`: the earlier one is cancelled (its attempt's signal aborts, it
 *   is recorded `cancelled`) and this one runs;
 * - `buffer_one`: it waits until the earlier one is finished, then runs; a
 *   further fire while one waits is recorded as `skipped`.
 */
export const OverlapPolicySchema = Type.Union(
  [
    Type.Literal('allow'),
    Type.Literal('forbid'),
    Type.Literal('replace'),
    Type.Literal('buffer_one'),
  ],
  { description: 'allow | forbid | replace | buffer_one' },
);

/** An overlap policy. */
export type OverlapPolicy = Type.Static<typeof OverlapPolicySchema>;

/**
 * How much of a job's history is kept: at most `keepLast` finished
 * executions (newest fires first), none older than `maxAge`. Running and
 * scheduled executions, and failed ones whose onFailure is not yet delivered,
 * are never pruned. The job's statistics survive pruning.
 */
export const RetentionPolicySchema = Type.Object(
  {
    /**
     * Finished executions kept per job.
     * @defaultValue the scheduler's `retention.keepLast` (100)
     */
    keepLast: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    /**
     * Finished executions older than this are pruned.
     * @defaultValue the scheduler's `retention.maxAge` ('7d')
     */
    maxAge: Type.Optional(DurationSchema),
  },
  { additionalProperties: false },
);

/** A retention policy. */
export type RetentionPolicy = Type.Static<typeof RetentionPolicySchema>;
