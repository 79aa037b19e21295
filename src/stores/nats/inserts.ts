/**
 * The NATS store's inserts of executions: a plan's fires (`jobsAdvance`) and
 * executions inserted directly (`executionInsert(s)`: manual triggers,
 * backfills). Each execution is a KV create of its own key, which fails when
 * the key exists: for a schedule's fire the key is made of its instant, so
 * one execution per `(jobId, fireAt)` needs no read.
 *
 * A plan creates its fires first, then writes the job's document
 * (compare-and-set on the version and next fire it was made on), which
 * counts the fires and applies what the finished ones (missed, skipped) owe.
 * Each fire carries the plan's tag (`planTag`): a planner that finds a fire
 * of its own tag already there (another planner of the same job, or one that
 * crashed before its document write) takes it as part of its plan; one of
 * an older plan's tag it writes again as its own ({@link adopt}). Either is
 * taken only while no claim has leased it since ({@link untouched}). A plan
 * whose document write fails for good deletes the fires it created, but
 * those a plan of its tag applied over ({@link coveredBy}): those it leases
 * again as planned, whoever's plan it was.
 */
import { isPrunable } from '../rules.js';
import type { Claim, ExecutionRecord, JobPlan, JobRecord } from '../store.js';
import {
  isWork,
  keyOf,
  planTag,
  recordOf,
  workKey,
  type JobDocument,
  type Stored,
  type Work,
  PLANS_KEPT,
} from './documents.js';
import { adopt, untouched } from './adopt.js';
import type { Parts } from './nats-store.js';
import { SETTLE_BATCH } from './debt-queue.js';
import { isRefused } from './key-write.js';
import { addOwed, applyDebts, forgetSettled, settle } from './settle.js';

/** Creates of one call in flight at once. */
export const IN_FLIGHT = 128;

/** Runs `each` on every item, {@link IN_FLIGHT} at a time; the answers in order. */
export async function inFlight<T, R>(
  items: readonly T[],
  each: (item: T) => Promise<R>,
): Promise<R[]> {
  const answers: R[] = [];
  for (let i = 0; i < items.length; i += IN_FLIGHT)
    answers.push(...(await Promise.all(items.slice(i, i + IN_FLIGHT).map(each))));
  return answers;
}

/**
 * A batch of plans (`jobsAdvance`), each applied on its own: a plan whose
 * writes fail (the server refused one, or its outcome stayed unknown past
 * the resends) fails alone — its job is planned again at the next pass —
 * and the others' claims are returned, not left leased to this instance
 * unknown to it until their lease expires. Fails only when every plan failed.
 */
export async function advanceAll(
  parts: Parts,
  plans: readonly JobPlan[],
): Promise<{ claims: Claim[]; applied: string[] }> {
  const results = await parts.docs.together(() =>
    Promise.allSettled(plans.map((plan) => advance(parts, plan))),
  );
  const done = results.flatMap((r, i) =>
    r.status === 'fulfilled' ? [{ ...r.value, jobId: plans[i]?.jobId ?? '' }] : [],
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed && done.length === 0) throw failed.reason;
  return {
    claims: done.flatMap((r) => r.claims),
    applied: done.filter((r) => r.applied).map((r) => r.jobId),
  };
}

/** One plan: whether it applied, and the fires it leases to run. */
async function advance(
  parts: Parts,
  plan: JobPlan,
): Promise<{ applied: boolean; claims: Claim[] }> {
  const { docs } = parts;
  const holds = (doc: JobDocument) =>
    doc.job.version === plan.expectedVersion && doc.job.nextFireAt === plan.expectedNextFireAt;
  let known = docs.known(plan.jobId) ?? undefined;
  if (!known || !holds(known.value)) known = (await docs.read(plan.jobId)) ?? undefined;
  if (!known || !holds(known.value)) return { applied: false, claims: [] };
  const { createdAt } = known.value.job;
  const tag = planTag(plan.expectedVersion, plan.expectedNextFireAt);
  const { created, ours } = await createFires(parts, plan, tag);
  const changed = await writePlan(parts, plan, tag, ours).catch(async (err: unknown) => {
    // Refused for good, it did not apply (one of unknown outcome may have: its fires stay).
    if (isRefused(err)) await deleteUncovered(parts, created, () => false);
    throw err;
  });
  if (!changed?.answer)
    return {
      applied: false,
      claims: await keepCovered(parts, plan, tag, created, changed, createdAt),
    };
  // The plan applied: a step after it that fails (a lost server) does not take the claims of
  // its fires with it — a fire left unsettled is settled by the sweep (`settle.ts`), one not
  // taken over waits for its lease.
  await settle(parts, plan.jobId, ours).catch(() => undefined);
  const mine = new Set(created.map(({ work }) => work.id));
  const others = ours.filter((w) => !mine.has(w.id));
  const taken = await takeOver(parts, plan, tag, others);
  return {
    applied: true,
    claims: claimsOf([...created.map(({ work }) => work), ...taken], changed.doc.job),
  };
}

/** A plan's fires created by it, with the revision its create gave each. */
type Created = { work: Work; revision: number }[];

/**
 * What a plan that did not apply leaves of the fires it created: those a
 * plan of its tag applied over ({@link coveredBy}) — another planner's, or
 * its own (its write applied, its acknowledgement lost, and the message it
 * would have been checked against overwritten by a later plan before it was
 * sent again) — are leased again as it planned them, as that other planner
 * does with them: whichever compare-and-set comes first runs each one. The
 * others are deleted. Returns the claims of those it leased.
 */
async function keepCovered(
  parts: Parts,
  plan: JobPlan,
  tag: string,
  created: Created,
  changed: { doc: JobDocument } | null,
  createdAt: number,
): Promise<Claim[]> {
  const covered = coveredBy(changed?.doc ?? null, plan, tag, createdAt);
  await deleteUncovered(parts, created, covered);
  const kept = created.filter(({ work }) => covered(work.fireAt)).map(({ work }) => work);
  const taken = await takeOver(parts, plan, tag, kept);
  return claimsOf(taken, changed?.doc.job);
}

/** Deletes the created fires not `covered`, each unless it changed since its create. */
async function deleteUncovered(
  parts: Parts,
  created: Created,
  covered: (fireAt: number) => boolean,
): Promise<void> {
  await inFlight(
    created.filter(({ work }) => !covered(work.fireAt)),
    ({ work, revision }) => parts.docs.replace(workKey(work), null, revision),
  );
}

/** The claims of the leased fires still to run among `works`, each with its job. */
function claimsOf(works: Work[], job: JobRecord | undefined): Claim[] {
  if (!job) return [];
  return works
    .filter((work) => work.leaseOwner !== null && !isPrunable(work))
    .map((work) => ({ execution: recordOf(work), job: structuredClone(job) }));
}

/**
 * The planned fires of this plan's tag that another planner (or this
 * instance, in an earlier call) created, whose plan did not apply (this one
 * did: they had the same version and next fire) — so that planner will not
 * run them. Each one still {@link untouched} is leased as this plan leases
 * its fire of that instant (or released, when this plan leaves it unleased),
 * with a new token, so it runs now rather than after its lease expires; one
 * a claim leased since is its claimer's to run.
 */
async function takeOver(parts: Parts, plan: JobPlan, tag: string, found: Work[]): Promise<Work[]> {
  const wanted = new Map(plan.executions.map((e) => [e.fireAt, e]));
  const taken = await inFlight(found, async (w) => {
    const own = wanted.get(w.fireAt);
    if (!own || (w.leaseOwner === null && own.leaseOwner === null)) return null;
    const changed = await parts.docs
      .change<Stored, Work | null>(workKey(w), (value) => {
        if (!isWork(value) || value.id !== w.id || value.plan !== tag) return { answer: null };
        if (!untouched(value)) return { answer: null };
        Object.assign(value, {
          leaseOwner: own.leaseOwner,
          leaseUntil: own.leaseOwner === null ? null : own.leaseUntil,
          leaseToken: value.leaseToken + 1,
        });
        return { answer: value, write: value };
      })
      // Its outcome unknown (a lost server): it waits for its lease, the others still run now.
      .catch(() => null);
    return changed?.answer ?? null;
  });
  return taken.filter((w) => w !== null);
}

/**
 * The plan's document write (compare-and-set on the version and next fire it
 * was made on), with the debts of its first finished fires — listed once
 * counted, with the plan, as one transaction would show them; the others are
 * settled after, a batch at a time. Its answer: whether the plan applied.
 */
function writePlan(parts: Parts, plan: JobPlan, tag: string, ours: Work[]) {
  const { docs } = parts;
  const first = ours.filter((w) => (w.owed?.length ?? 0) > 0).slice(0, SETTLE_BATCH);
  return docs.changeDocument(plan.jobId, (doc) => {
    const { job } = doc;
    if (job.version !== plan.expectedVersion || job.nextFireAt !== plan.expectedNextFireAt)
      return { answer: false, write: false };
    job.nextFireAt = plan.nextFireAt;
    if (plan.completedAt !== null) job.completedAt = plan.completedAt;
    if (plan.lastOutcome !== null) job.lastOutcome = { ...plan.lastOutcome };
    job.fireCount += plan.fires ?? 0;
    doc.plans = [...(doc.plans ?? []).slice(1 - PLANS_KEPT), [tag, plan.nextFireAt]];
    applyDebts(docs, doc, first, docs.work.kept(keyOf(plan.jobId)));
    forgetSettled(docs, doc);
    return { answer: true, write: true };
  });
}

/**
 * Which fires of a plan that did not apply stay: those in the window of a
 * plan of its tag that applied — which the document of the same job (its
 * creation instant: not a job deleted and created again) names among its
 * last plans, with the next fire it left: this plan itself, its write's
 * outcome lost and the message it would be checked against overwritten
 * since, even by a write of a new version; or another planner of the job,
 * whose create of each fire found this plan's there and counted it. Past
 * those names, the job's next fire tells: it moves from the one a plan was
 * made on only by a plan of that version and next fire, and only forward
 * within a version, so a document of the plan's version whose next fire lies
 * past the plan's first was planned over the plan's window. Any other fire
 * is deleted.
 */
function coveredBy(
  doc: JobDocument | null,
  plan: JobPlan,
  tag: string,
  createdAt: number,
): (fireAt: number) => boolean {
  if (!doc || doc.job.createdAt !== createdAt) return () => false;
  const named = doc.plans?.find(([applied]) => applied === tag);
  const end = named
    ? named[1]
    : doc.job.version === plan.expectedVersion
      ? doc.job.nextFireAt
      : plan.expectedNextFireAt;
  return (fireAt) => fireAt >= plan.expectedNextFireAt && fireAt < (end ?? Infinity);
}

/**
 * Creates a plan's fires, each tagged; returns those it created (with their
 * revision) and all that are the plan's: created, found with its tag, or
 * adopted from an older plan that cannot apply ({@link adopt}).
 */
async function createFires(
  parts: Parts,
  plan: JobPlan,
  tag: string,
): Promise<{ created: Created; ours: Work[] }> {
  const created: Created = [];
  const ours: Work[] = [];
  await inFlight(plan.executions, async (e) => {
    const work: Work = { ...structuredClone(e), plan: tag };
    if (e.leaseOwner !== null) work.planLease = e.leaseOwner;
    if (isPrunable(e)) owePlanned(work, plan);
    for (let attempt = 0; attempt < ADOPT_ATTEMPTS; attempt++) {
      const revision = await parts.docs.create(workKey(e), work);
      if (revision !== null) {
        created.push({ work, revision });
        ours.push(work);
        return;
      }
      const found = await adopt(parts, plan, work);
      if (found === 'gone') continue;
      if (found && 'adopted' in found)
        created.push({ work: found.adopted, revision: found.revision });
      if (found) ours.push('ours' in found ? found.ours : found.adopted);
      return;
    }
  });
  return { created, ours };
}

/** Creates of a planned fire tried while its key is deleted between the create and the read. */
const ADOPT_ATTEMPTS = 3;

/** What a plan's finished fire owes its job: its missed or skipped count, the pruner's look. */
function owePlanned(work: Work, plan: JobPlan): void {
  const stats = {
    succeeded: 0,
    failed: 0,
    missed: work.status === 'missed' ? 1 : 0,
    skipped: work.status === 'skipped' ? 1 : 0,
    lastFireAt: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    fresh: false,
  };
  addOwed(work, {
    stats,
    prune: { at: work.finishedAt ?? work.createdAt, retention: plan.retention },
  });
}

/**
 * Inserts executions, each by a create of its key; skips one whose key (a
 * schedule's fire) or id exists, or whose job is gone. Returns the ids inserted.
 */
export async function insertExecutions(
  parts: Parts,
  executions: readonly ExecutionRecord[],
): Promise<string[]> {
  const { docs } = parts;
  const jobs = new Map<string, JobRecord | null>();
  for (const jobId of new Set(executions.map((e) => e.jobId)))
    jobs.set(jobId, (docs.known(jobId) ?? (await docs.read(jobId)))?.value.job ?? null);
  const firsts = new Map<string, ExecutionRecord>();
  for (const e of executions) if (!firsts.has(workKey(e))) firsts.set(workKey(e), e);
  const fresh = [...firsts.values()].filter(
    (e) => jobs.get(e.jobId) && docs.work.keyOf(e.id) === undefined,
  );
  const inserted = new Set<string>();
  await inFlight(fresh, async (e) => {
    if ((await docs.create(workKey(e), structuredClone(e))) !== null) inserted.add(e.id);
  });
  return executions.filter((e) => inserted.has(e.id)).map((e) => e.id);
}
