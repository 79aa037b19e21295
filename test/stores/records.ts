/**
 * Builders of store records for the conformance suite and store tests: every
 * field has a plain default, ids are UUID v7, and `overrides` win.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Attempt } from '../../src/model/execution.js';
import type { LastOutcome } from '../../src/model/job.js';
import type { Target } from '../../src/executors/builtin.js';
import type { InstanceInfo } from '../../src/stores/instances.js';
import {
  NO_STATS,
  type ExecutionRecord,
  type JobRecord,
  type JobStats,
  type Retention,
  type StoredDefinition,
} from '../../src/stores/store.js';

/** The suite's epoch: 2030-01-01T00:00:00Z. Stores never read a clock, so tests pick their own times. */
export const T0 = Date.UTC(2030, 0, 1);

/** ISO 8601 text of an epoch-ms instant, as attempts record it. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A job record: an interval job with a handler target, unpaused, due at {@link T0}, no statistics yet. */
export function makeJobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: `job-${uuidv7()}`,
    definition: {
      schedule: { kind: 'interval', every: '1m', startAt: iso(T0) },
      target: { type: 'handler', name: 'work' },
      metadata: {},
    },
    paused: false,
    nextFireAt: T0,
    version: 1,
    createdAt: T0 - 60_000,
    updatedAt: T0 - 60_000,
    completedAt: null,
    fireCount: 0,
    lastOutcome: null,
    staleAfterMs: null,
    stats: { ...NO_STATS },
    staleSince: null,
    pruneAfter: null,
    ...overrides,
  };
}

/** The job's definition with a metadata `mark`: a write of it is told from the job before. */
export function marked(job: JobRecord, mark: string): StoredDefinition {
  return { ...job.definition, metadata: { ...job.definition.metadata, mark } };
}

/** Job statistics: none, with `overrides`. */
export function makeStats(overrides: Partial<JobStats> = {}): JobStats {
  return { ...NO_STATS, ...overrides };
}

/** A retention policy: keep the last 100, for 7 days, with `overrides`. */
export function makeRetention(overrides: Partial<Retention> = {}): Retention {
  return { keepLast: 100, maxAgeMs: 7 * 86_400_000, ...overrides };
}

/** A planned fire of `jobId`: scheduled, never started, unleased, due at its `fireAt` (default {@link T0}). */
export function makeExecutionRecord(
  overrides: Partial<ExecutionRecord> & Pick<ExecutionRecord, 'jobId'>,
): ExecutionRecord {
  const fireAt = overrides.fireAt ?? T0;
  return {
    id: uuidv7(),
    fireAt,
    runAt: fireAt,
    trigger: 'schedule',
    status: 'scheduled',
    attempt: 0,
    leaseOwner: null,
    leaseUntil: null,
    leaseToken: 0,
    attempts: [],
    onFailure: null,
    createdAt: fireAt - 1_000,
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

/** A finished attempt record. */
export function makeAttempt(overrides: Partial<Attempt> = {}): Attempt {
  return {
    attempt: 1,
    owner: 'instance-a',
    startedAt: iso(T0),
    finishedAt: iso(T0 + 1_000),
    outcome: 'succeeded',
    ...overrides,
  };
}

/** A job's last outcome. */
export function makeLastOutcome(overrides: Partial<LastOutcome> = {}): LastOutcome {
  return { status: 'succeeded', executionId: uuidv7(), at: iso(T0 + 1_000), ...overrides };
}

/**
 * A target of another type than `handler`. The target union grows as executor
 * modules land; a store keeps targets as opaque JSON and filters on `type` only.
 */
export function targetOfType(type: string): Target {
  return { type } as unknown as Target;
}

/** What an instance says of itself: instance `a`, started at {@link T0}. */
export function makeInstanceInfo(overrides: Partial<InstanceInfo> = {}): InstanceInfo {
  return { id: 'a', host: 'h', pid: 1, version: '0', startedAt: T0, capacity: 1, ...overrides };
}
