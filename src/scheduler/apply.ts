/**
 * Jobs as code: `apply` brings the store to a set of job definitions — it
 * creates the missing jobs, updates the changed ones and, with a `prune`
 * selector, removes the jobs that match it and are not in the set — all in
 * one store transaction (`jobsWrite`, compare-and-set on every job it read,
 * another round when one moved). `clearJobs` is an apply of nothing with a
 * prune. A dry run reports the same drift and writes nothing.
 */
import type { TSchema } from 'typebox';
import { ChimeError } from '../errors.js';
import { redactSecrets } from '../model/secrets.js';
import type { Selector } from '../model/selector.js';
import type { CustomSchedules } from '../schedules/custom.js';
import type { JobRecord, JobWrite, Store } from '../stores/store.js';
import { diffJson, valueAt, type FieldChange } from './job-diff.js';
import { writeFor, type PutItem } from './job-writes.js';
import type { JobValidator } from './validate-job.js';

/** Options of {@link Scheduler.apply}. */
export interface ApplyOptions {
  /** Also remove the jobs whose metadata matches this selector and that are not among the definitions. */
  prune?: Selector;
  /** Report what would change and change nothing. @defaultValue false */
  dryRun?: boolean;
}

/** A job whose definition differs from the one applied, field by field (secrets redacted). */
export interface JobDrift {
  id: string;
  changes: FieldChange[];
}

/**
 * What an apply did — or, with `dryRun`, would do: ids to create, jobs to
 * change with their field-level diff, ids to remove (by id), and ids already
 * as defined. The others in the order of the definitions. No drift: all
 * empty but `unchanged`.
 */
export interface ApplyReport {
  dryRun: boolean;
  create: string[];
  change: JobDrift[];
  remove: string[];
  unchanged: string[];
}

/** What an apply needs of its scheduler. */
export interface ApplyContext {
  store: Store;
  validator: JobValidator;
  /** The custom schedules jobs may name. */
  customs: CustomSchedules;
  /** The union of the target schemas: secret fields are redacted in diffs. */
  targetSchema: TSchema;
  /** Now, by the engine's clock. */
  now(): number;
  /** Told about the writes once they are committed (events, waking the engine). */
  written(writes: JobWrite[]): void;
}

/** Most compare-and-set rounds of one apply before giving up. */
const MAX_ROUNDS = 20;
/** Jobs read per page while looking for those a prune selector matches. */
const PAGE = 1000;

/**
 * Applies the items (validated, distinct ids) per the options (checked).
 * @throws ChimeError `CHIME_ERR_JOB_CONFLICT` when jobs kept changing under it.
 */
export async function applyJobs(
  context: ApplyContext,
  items: PutItem[],
  options: ApplyOptions,
): Promise<ApplyReport> {
  const { store } = context;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const now = context.now();
    const existing = new Map(
      (await store.jobsGet({ ids: items.map((item) => item.id) })).map((job) => [job.id, job]),
    );
    const wanted = new Set(items.map((item) => item.id));
    const pruned = options.prune
      ? (await matching(store, options.prune)).filter((job) => !wanted.has(job.id))
      : [];
    const { report, writes } = plan(context, items, existing, pruned, now);
    report.dryRun = options.dryRun ?? false;
    if (report.dryRun || writes.length === 0) return report;
    if ((await store.jobsWrite({ writes })).length === 0) {
      context.written(writes);
      return report;
    }
  }
  throw new ChimeError('CHIME_ERR_JOB_CONFLICT', 'jobs kept changing under the apply; try again', {
    path: '',
  });
}

/** The report of one round and the writes that carry it out. */
function plan(
  context: ApplyContext,
  items: PutItem[],
  existing: Map<string, JobRecord>,
  pruned: JobRecord[],
  now: number,
): { report: ApplyReport; writes: JobWrite[] } {
  const report: ApplyReport = { dryRun: false, create: [], change: [], remove: [], unchanged: [] };
  const writes: JobWrite[] = [];
  for (const item of items) {
    const current = existing.get(item.id);
    const write = writeFor(item, current, now, context.validator, context.customs);
    if (!write) report.unchanged.push(item.id);
    else if (!current) report.create.push(item.id);
    else report.change.push({ id: item.id, changes: drift(context, current, write.job) });
    if (write) writes.push(write);
  }
  for (const job of pruned) {
    report.remove.push(job.id);
    writes.push({ job, expectedVersion: job.version, dropPlanned: false, remove: true });
  }
  return { report, writes };
}

/**
 * The fields that change from `current` to `next`: where the stored
 * definitions differ (the interval anchor left out, `paused` in), with the
 * values as the API shows them — a secret that changes reads `[redacted]`.
 */
function drift(context: ApplyContext, current: JobRecord, next: JobRecord): FieldChange[] {
  const before = shown(current);
  const after = shown(next);
  const redactedBefore = redacted(context.targetSchema, before);
  const redactedAfter = redacted(context.targetSchema, after);
  return diffJson(before, after).map(({ path }) => {
    const change: FieldChange = { path };
    const from = valueAt(redactedBefore, path);
    const to = valueAt(redactedAfter, path);
    if (from !== undefined) change.from = from;
    if (to !== undefined) change.to = to;
    return change;
  });
}

/** A job's definition and `paused`, as compared by the drift report. */
function shown(job: JobRecord): Record<string, unknown> {
  const { anchorAt: _anchor, ...definition } = job.definition;
  return { ...definition, paused: job.paused };
}

/** The document with its targets' secrets redacted. */
function redacted(targetSchema: TSchema, document: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {
    ...document,
    target: redactSecrets(targetSchema, document['target']),
  };
  if (document['onFailure'] !== undefined)
    out['onFailure'] = redactSecrets(targetSchema, document['onFailure']);
  return out;
}

/** Every job whose metadata matches the selector, by id. */
async function matching(store: Store, selector: Selector): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  for (let afterId: string | undefined; ;) {
    const page = await store.jobsList({ metadata: selector, limit: PAGE, afterId });
    jobs.push(...page);
    if (page.length < PAGE) return jobs;
    afterId = page.at(-1)?.id;
  }
}
