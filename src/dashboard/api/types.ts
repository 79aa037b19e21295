/**
 * The JSON shapes the dashboard reads from the chime API (`/openapi.json`
 * describes them). Times are ISO 8601 text. Only the fields the dashboard
 * uses are spelled out; the rest passes through as unknown.
 */

/** A schedule as the API shows it. */
export type Schedule =
  | { kind: 'cron'; expr: string; tz?: string; startAt?: string; endAt?: string }
  | { kind: 'interval'; every: string | number; startAt?: string; endAt?: string }
  | { kind: 'once'; at: string }
  | { kind: 'custom'; name: string; params?: unknown };

/** A target: its `type` and its type's fields. */
export interface Target {
  type: string;
  [field: string]: unknown;
}

/** The last finished execution of a job. */
export interface LastOutcome {
  status: 'succeeded' | 'failed' | 'missed' | 'skipped' | 'cancelled';
  executionId: string;
  at: string;
  error?: string;
}

/** A job's run statistics, kept through pruning. */
export interface JobStats {
  lastFireAt: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  succeeded: number;
  failed: number;
  missed: number;
  skipped: number;
}

/** A job (secrets redacted by the API). */
export interface Job {
  id: string;
  schedule: Schedule;
  target: Target;
  payload?: unknown;
  metadata: Record<string, string>;
  paused: boolean;
  nextFireAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** Fires of its schedule so far (run or missed): what `maxFires` counts. */
  fireCount: number;
  maxFires?: number;
  lastOutcome: LastOutcome | null;
  stats: JobStats;
  staleSince: string | null;
  onFailure?: Target;
  [policy: string]: unknown;
}

/** The statuses of an execution. */
export const EXECUTION_STATUSES = [
  'scheduled',
  'running',
  'succeeded',
  'failed',
  'missed',
  'skipped',
  'cancelled',
] as const;

/** An execution status. */
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** A recorded error. */
export interface ErrorInfo {
  message: string;
  name?: string;
  code?: string;
}

/** Why a fire did not run (missed, skipped, cancelled), or waited (`buffered`). */
export interface Reason {
  code: string;
  message: string;
}

/** One finished attempt. */
export interface Attempt {
  attempt: number;
  owner: string;
  startedAt: string;
  finishedAt: string;
  outcome:
    'succeeded' | 'failed' | 'timed_out' | 'lease_lost' | 'abandoned' | 'shutdown' | 'cancelled';
  error?: ErrorInfo;
}

/** An execution: one fire or one manual trigger. */
export interface Execution {
  id: string;
  jobId: string;
  fireAt: string;
  runAt: string;
  trigger: 'schedule' | 'manual';
  /** A fire added by a backfill. */
  backfill?: true;
  status: ExecutionStatus;
  attempt: number;
  payload?: unknown;
  attempts: Attempt[];
  result?: unknown;
  error?: ErrorInfo;
  reason?: Reason;
  leaseOwner: string | null;
  onFailure: 'pending' | 'delivered' | 'failed' | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A page of a listing. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One previewed fire (`GET /v1/schedules/preview`). */
export interface FirePreview {
  at: string;
  utc: string;
  local: string;
  tz: string;
  dstShifted: boolean;
  note?: string;
}

/** What the caller may do (`GET /v1/access`). */
export interface AccessInfo {
  access: 'write' | 'read';
  tokenRequired: boolean;
}

/** `GET /v1/fires/upcoming`. */
export interface UpcomingFires {
  from: string;
  until: string;
  items: { jobId: string; at: string }[];
  truncated: boolean;
}

/** Lag quantiles, ms. */
export interface LagSummary {
  p50: number | null;
  p99: number | null;
  max: number | null;
  count: number;
}

/** Counts of a stats bucket. */
export interface RecentCounts {
  started: number;
  succeeded: number;
  failed: number;
  missed: number;
  skipped: number;
  lag: LagSummary;
}

/** `GET /v1/stats/recent`. */
export interface RecentStats {
  instanceId: string;
  from: string;
  to: string;
  bucketMs: number;
  throughputPerMinute: number;
  total: RecentCounts;
  buckets: (RecentCounts & { at: string })[];
}

/** A live instance (`GET /v1/instances`). */
export interface Instance {
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: string;
  lastSeenAt: string;
  capacity: number;
  held: number;
  running: number;
}

/** An API error body (RFC 9457 problem details plus chime's code and path). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  path?: string;
  instance?: string;
}

/** A JSON Schema as the API serves it (`GET /v1/schema/job`). */
export interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  description?: string;
  title?: string;
  default?: unknown;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  'x-chime-secret'?: string;
}
