/**
 * Batches of job definitions — `ensureJobs`, `submitJobs`, `apply` — checked
 * as a whole (an array, distinct ids, errors naming the item by its index)
 * and written in one all-or-nothing store call per round.
 */
import { v7 as uuidv7 } from 'uuid';
import { ChimeError } from '../errors.js';
import type { Target } from '../executors/builtin.js';
import { resolvePolicies, type ResolvedPolicies } from '../engine/policies.js';
import type { Job, JobDefinition } from '../model/job.js';
import { toJob } from '../stores/views.js';
import type { JobRecord, JobWrite } from '../stores/store.js';
import { applyJobs, type ApplyContext, type ApplyOptions, type ApplyReport } from './apply.js';
import { conflict, jobExists } from './job-errors.js';
import { writeFor, type PutItem } from './job-writes.js';

/** What a batch needs of its scheduler. */
export interface BatchContext extends ApplyContext {
  /** The policies of jobs that name none (for the misfire grace of one-shots). */
  policyDefaults: Readonly<ResolvedPolicies>;
  /** Resolves once the scheduler runs (rejects once it stopped). */
  ready(): Promise<void>;
}

/** Most compare-and-set rounds of one job change before giving up. */
export const MAX_CAS_ROUNDS = 20;

/** The batch operations of a scheduler. */
export class JobBatches {
  constructor(private readonly context: BatchContext) {}

  /**
   * An array of valid definitions whose ids are distinct (and, with
   * `idRequired`, given); errors name the item by its index.
   */
  validate(definitions: unknown, { idRequired = false } = {}): JobDefinition<Target>[] {
    if (!Array.isArray(definitions)) {
      throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'job definitions must be an array', {
        path: '',
      });
    }
    const firstIndex = new Map<string, number>();
    return definitions.map((definition: unknown, i) => {
      const job = this.context.validator.validate(definition, `/${i}`) as JobDefinition<Target>;
      if (job.id === undefined && idRequired) {
        throw new ChimeError('CHIME_ERR_MISSING_FIELD', 'every applied job needs an id', {
          path: `/${i}/id`,
        });
      }
      if (job.id === undefined) return job;
      const first = firstIndex.get(job.id);
      if (first !== undefined) {
        throw new ChimeError(
          'CHIME_ERR_INVALID_INPUT',
          `job id "${job.id}" appears twice in the batch: at /${first} and /${i}`,
          { path: `/${i}/id` },
        );
      }
      firstIndex.set(job.id, i);
      return job;
    });
  }

  /** The jobs as items of a batch: ids generated where absent, misfire graces resolved. */
  items(jobs: JobDefinition<Target>[], pathOf: (i: number) => string): PutItem[] {
    return jobs.map((job, index) => {
      const stored = { ...job, target: { type: 'handler' as const }, metadata: {} };
      const graceMs = resolvePolicies(stored, this.context.policyDefaults).misfireGraceMs;
      return { index, job, id: job.id ?? uuidv7(), graceMs, path: pathOf(index) };
    });
  }

  /** Applies validated items with ids (see `applyJobs`). */
  apply(items: PutItem[], options: ApplyOptions): Promise<ApplyReport> {
    return applyJobs(this.context, items, options);
  }

  /**
   * Creates (`submit`) or creates and updates (`ensure`) validated jobs with
   * distinct ids, `pathOf(i)` prefixing the error paths of item `i`. Each
   * round checks what depends on the stored jobs (a taken id, a one-shot
   * instant in the past; see {@link decide}) and writes every change in one
   * all-or-nothing store call; a compare-and-set that fails sends `ensure` to
   * another round, a taken id fails `submit`.
   */
  async put(
    jobs: JobDefinition<Target>[],
    mode: 'ensure' | 'submit',
    pathOf: (i: number) => string,
  ): Promise<Job<Target>[]> {
    if (jobs.length === 0) return [];
    const { store } = this.context;
    const results: Job<Target>[] = [];
    /** The items not settled yet: every one at first, then those of a round whose writes failed. */
    let pending = this.items(jobs, pathOf);
    await this.context.ready();
    for (let round = 1; ; round++) {
      const now = this.context.now();
      const { writes, written } = await this.decide(pending, mode, now, results);
      const failed = writes.length === 0 ? [] : await store.jobsWrite({ writes });
      if (failed.length === 0) {
        writes.forEach((write, w) => {
          const item = written[w];
          if (item) results[item.index] = toJob(write.job);
        });
        this.context.written(writes);
        return results;
      }
      // Nothing was written. A failed insert found its id taken (since the read, for ensure).
      const first = written[failed[0] ?? 0];
      if (!first) throw new Error(`the store failed write ${failed[0]} of ${writes.length}`);
      if (mode === 'submit') throw jobExists(first.id, first.path);
      if (round >= MAX_CAS_ROUNDS) throw conflict(first.id, first.path);
      pending = written;
    }
  }

  /**
   * The writes of a round, and the item of each; `results` gets the jobs left
   * as they are. `ensure` reads the jobs first. `submit` does not: a taken id
   * fails its insert, which names the item — unless an item is refused first
   * (a one-shot instant in the past), when the jobs are read to name the first
   * of the two errors in the batch's order, as a read before would have.
   */
  private async decide(
    pending: PutItem[],
    mode: 'ensure' | 'submit',
    now: number,
    results: Job<Target>[],
  ): Promise<{ writes: JobWrite[]; written: PutItem[] }> {
    const read = () => this.context.store.jobsGet({ ids: pending.map((item) => item.id) });
    if (mode === 'ensure') return this.writesFor(pending, await read(), mode, now, results);
    try {
      return this.writesFor(pending, [], mode, now, results);
    } catch (err) {
      this.writesFor(pending, await read(), mode, now, results);
      throw err;
    }
  }

  /** The writes that bring the `found` jobs to the items' definitions (see {@link decide}). */
  private writesFor(
    pending: PutItem[],
    found: JobRecord[],
    mode: 'ensure' | 'submit',
    now: number,
    results: Job<Target>[],
  ): { writes: JobWrite[]; written: PutItem[] } {
    const existing = new Map(found.map((record) => [record.id, record]));
    const writes: JobWrite[] = [];
    const written: PutItem[] = [];
    for (const item of pending) {
      const current = existing.get(item.id);
      if (current && mode === 'submit') throw jobExists(item.id, item.path);
      const write = writeFor(item, current, now, this.context.validator, this.context.customs);
      if (write) {
        writes.push(write);
        written.push(item);
      } else if (current) results[item.index] = toJob(current);
    }
    return { writes, written };
  }
}
