/**
 * chime: a durable, distributed job scheduler for Node.js.
 * @packageDocumentation
 */
export { createScheduler, Scheduler } from './scheduler/scheduler.js';
export type { Page, ListJobsParams, ListExecutionsParams } from './scheduler/scheduler.js';
export type { SchedulerOptions } from './scheduler/options.js';
export { cron, custom, every, once } from './model/schedule.js';
export type { CustomScheduleFn } from './schedules/custom.js';
export type {
  Schedule,
  CronSchedule,
  IntervalSchedule,
  CustomSchedule,
  OnceSchedule,
  ScheduleWindow,
} from './model/schedule.js';
export type { Job, JobDefinition } from './scheduler/scheduler.js';
export type { LastOutcome } from './model/job.js';
export type { TargetBase } from './model/target.js';
export type { Instance } from './model/instance.js';
export type {
  Execution,
  ExecutionStatus,
  Attempt,
  AttemptOutcome,
  ErrorInfo,
} from './model/execution.js';
export type { RetryPolicy, MisfirePolicy, OverlapPolicy } from './model/policies.js';
export { REASON_CODES, type Reason, type ReasonCode } from './model/reason.js';
export type { Duration } from './model/duration.js';
export type { Target } from './executors/builtin.js';
export type { HandlerTarget } from './executors/handler/schema.js';
export { httpExecutor, type HttpTarget, type HttpExecutorOptions } from './executors/http/index.js';
export { amqpExecutor, type AmqpTarget } from './executors/amqp/index.js';
export { natsExecutor, type NatsTarget } from './executors/nats/index.js';
export { emailExecutor, type EmailTarget } from './executors/email/index.js';
export { shellExecutor, type ShellTarget } from './executors/shell/index.js';
export { redactSecrets, restoreSecrets, REDACTED } from './model/secrets.js';
export type { Handler } from './executors/handler/handler-executor.js';
export type { ExecutionContext, Executor } from './executors/executor.js';
export type { SchedulerEvents, SchedulerEventName } from './engine/events.js';
export { ChimeError, PermanentError, RetryAfterError, isChimeError, ERRORS } from './errors.js';
export type { ErrorCode } from './errors.js';
export { TestClock, systemClock } from './engine/clock.js';
export type { Clock } from './engine/clock.js';
export { memoryStore } from './stores/memory/index.js';
export { sqliteStore } from './stores/sqlite/index.js';
export { postgresStore, type PostgresStoreOptions } from './stores/postgres/index.js';
export { natsStore, type NatsStoreOptions } from './stores/nats/index.js';
export type { Store } from './stores/store.js';
export type { SchedulerStatus, ClearReport } from './scheduler/scheduler.js';
export type { ApplyOptions, ApplyReport, JobDrift } from './scheduler/apply.js';
export type { FieldChange } from './scheduler/job-diff.js';
export { parseSelector, formatSelector, type Selector } from './model/selector.js';
export type { FirePreview } from './schedules/preview.js';
export type { BackfillParams, BackfillResult } from './scheduler/backfill.js';
