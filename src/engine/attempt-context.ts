import type { Context } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { ExecutionContext } from '../executors/executor.js';
import type { Job } from '../model/job.js';
import { toJob } from '../stores/views.js';
import type { Claim } from '../stores/store.js';
import type { AttemptAbort } from './attempt-abort.js';

/**
 * The `ctx` of one attempt. The job's public view, the child logger and the
 * abort signal are built on first use: most handlers never read them, and a burst of
 * thousands of fires should not pay for them.
 */
export class AttemptContext implements ExecutionContext {
  readonly executionId: string;
  readonly fireAt: Date;
  readonly backfill: boolean;
  private jobView: Job | undefined;
  private childLogger: Logger | undefined;

  constructor(
    private readonly claim: Claim,
    readonly payload: unknown,
    readonly attempt: number,
    private readonly abort: AttemptAbort,
    private readonly parentLogger: Logger,
    readonly traceContext: Context,
  ) {
    this.executionId = claim.execution.id;
    this.fireAt = new Date(claim.execution.fireAt);
    this.backfill = claim.execution.backfill === true;
  }

  /** Made on first use too (see {@link AttemptAbort}). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get job(): Job {
    this.jobView ??= toJob(this.claim.job);
    return this.jobView;
  }

  get logger(): Logger {
    this.childLogger ??= this.parentLogger.child({
      jobId: this.claim.job.id,
      executionId: this.executionId,
      attempt: this.attempt,
    });
    return this.childLogger;
  }
}
