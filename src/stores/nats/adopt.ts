/**
 * A fire a plan's create found at its key, taken as the plan's own where no
 * one else runs it ({@link adopt}): a job's plans race each other, its claims,
 * and the drops of its schedule changes (`inserts.ts`, `job-writes.ts`).
 */
import { isDroppedByChange } from '../rules.js';
import type { JobPlan } from '../store.js';
import { isWork, versionOfTag, workKey, type Stored, type Work } from './documents.js';
import type { Parts } from './nats-store.js';
import { addOwed } from './settle.js';

/**
 * The fire at a planned fire's key, which its create found there: the plan's
 * own when it has the plan's tag (another planner of the job made it). One
 * {@link untouched} is written again as this plan's — with the debts it
 * owes (a dropped fire's count) — when it has the tag of an older plan
 * ({@link isOlder}): that plan cannot apply any more, and its planner deletes
 * the fires it created when its document write fails; or when the write of a
 * newer version dropped it ({@link isDroppedBefore}), or drops it and has not
 * reached it yet ({@link isDroppedByDocument}: marked here as that drop would),
 * which deletes it next. Had this plan left any as another's, it would have
 * counted a fire no one runs.
 * 'gone' when the key was deleted meanwhile (create it again); null:
 * another's fire.
 */
export async function adopt(
  parts: Parts,
  plan: JobPlan,
  work: Work,
): Promise<{ ours: Work } | { adopted: Work; revision: number } | 'gone' | null> {
  const changed = await parts.docs.change<Stored, Work | 'adopt' | null>(workKey(work), (value) => {
    if (!isWork(value) || value.plan === undefined) return { answer: null };
    if (value.plan === work.plan) return { answer: value };
    if (isDroppedByDocument(value, plan, parts)) markDropped(value);
    const superseded = isOlder(value.plan, plan) || isDroppedBefore(value, plan);
    if (!superseded || !untouched(value)) return { answer: null };
    // A dropped fire's debt (its count given back) goes on: this plan counts it anew.
    const owed = [...(value.owed ?? []), ...(work.owed ?? [])];
    return { answer: 'adopt', write: owed.length > 0 ? { ...work, owed } : work };
  });
  if (changed === null) return 'gone';
  if (changed.answer !== 'adopt') return changed.answer && { ours: changed.answer };
  return { adopted: changed.value as Work, revision: changed.revision };
}

/**
 * True for a planned fire as its plan left it: not started, and unleased and
 * never claimed, or still under the plan's own lease. No instance runs it, so
 * another plan may lease it or write it again; one a claim or take-over
 * leased since is left to that lease's holder, which runs it without writing
 * its start when the job allows overlaps (else two instances run it).
 */
export function untouched(w: Work): boolean {
  if (w.status !== 'scheduled' || w.attempt !== 0) return false;
  if (w.leaseOwner === null) return w.leaseToken === 0;
  return w.leaseToken === 1 && w.leaseOwner === w.planLease;
}

/**
 * True when the plan of `tag` was made on the same version of the job as
 * `plan`, and an earlier next fire: it cannot apply any more, and had it
 * applied, its fires would lie before that next fire (the next fire moves
 * only forward within a version). A fire of an earlier version's plan may
 * have been counted (the job moved back by a write since): it is left.
 */
function isOlder(tag: string, plan: JobPlan): boolean {
  const [version, nextFireAt = 0] = tag.split(':').map(Number);
  return version === plan.expectedVersion && nextFireAt < plan.expectedNextFireAt;
}

/** True for a fire of an older version than `plan`'s that the write of a newer one dropped. */
function isDroppedBefore(w: Work, plan: JobPlan): boolean {
  return w.dropped === true && versionOfTag(w.plan) < plan.expectedVersion;
}

/**
 * True for an unleased planned fire of an older version than `plan`'s that
 * the job's document says a write dropped (`dropBelow`), its drop not here
 * yet: the plan may come between that write's document and its drop.
 */
function isDroppedByDocument(w: Work, plan: JobPlan, parts: Parts): boolean {
  if (w.dropped === true || !isDroppedByChange(w)) return false;
  const version = versionOfTag(w.plan);
  const dropBelow = parts.docs.known(plan.jobId)?.value.dropBelow ?? 0;
  return version < plan.expectedVersion && version < dropBelow;
}

/** Marks a planned fire dropped by a change, as `job-writes.ts` does: it gives its count back. */
export function markDropped(w: Work): void {
  w.dropped = true;
  // A planned fire dropped did not happen: it leaves the fire count, and reopens a completed job.
  addOwed(w, { fires: -1, reopen: true });
}
