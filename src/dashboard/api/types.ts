/**
 * The JSON shapes the dashboard reads from the chime API (`/openapi.json`
 * describes them): the library's own views (times as ISO 8601 text), named
 * here once, types only — plus the shapes only the API has.
 */
import type { Job as ModelJob, LastOutcome, JobStatsView } from '../../model/job.js';
import type { Schedule } from '../../model/schedule.js';
import type { RecentSummary } from '../../service/recent-stats.js';

export type { LagSummary, RecentCounts } from '../../service/recent-stats.js';

export type { Schedule, LastOutcome, JobStatsView as JobStats };
export { EXECUTION_STATUSES } from '../../model/execution.js';
export type { Attempt, ErrorInfo, Execution, ExecutionStatus } from '../../model/execution.js';
export type { Reason } from '../../model/reason.js';
export type { Instance } from '../../model/instance.js';

/** A target: its `type` and its type's fields. */
export interface Target {
  type: string;
  [field: string]: unknown;
}

/** A job (secrets redacted by the API), its policies readable by name. */
export type Job = ModelJob<Target> & { [policy: string]: unknown };

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

/** `GET /v1/stats/recent`. */
export type RecentStats = RecentSummary & { instanceId: string };

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
