/**
 * The NATS store's work on executions: claims, take-overs, starts, ends and
 * leases, each a compare-and-set of the execution's own key (an end then
 * settles what it owes its job, `settle.ts`; a start checked for overlap
 * goes through its job's document, `overlap.ts`); and the reads of
 * executions, from the mirror (a finished one's record stays in its key).
 */
import {
  compareNewestFirst,
  inShare,
  isFinishable,
  isPrunable,
  isStartable,
  markMayHaveRun,
  mayHaveRunUnderLease,
  applyFinish,
} from '../rules.js';
import type {
  Claim,
  ExecutionRecord,
  ExecutionsListParams,
  FinishRequest,
  LeaseRef,
  RunningMark,
  StartRequest,
  StartResult,
  ClaimParams,
  TakeOverParams,
} from '../store.js';
import {
  hasWork,
  isWork,
  jobKeyOf,
  keyOf,
  planTag,
  recordOf,
  type JobDocument,
  type Stored,
  type Work,
} from './documents.js';
import { copyJson } from './json-copy.js';
import { unavailable } from './connection.js';
import type { DueIndex } from './due-index.js';
import type { Parts } from './nats-store.js';
import { checkedStart } from './overlap.js';
import { addOwed, settle } from './settle.js';

/** How long a read of an execution the mirror has not seen waits for the watch to catch up. */
const CATCH_UP_MS = 2_000;

/**
 * True for an execution not yet listed, as the mirror knows its job's
 * document: one its plan created whose document write has not applied yet
 * (the job is still at the version and next fire the plan was made on, and
 * names another plan as its last), or
 * a finished one whose debts the document has not applied.
 */
function isPending(e: Work, doc: JobDocument | undefined): boolean {
  if (!doc) return false;
  const tag = planTag(doc.job.version, doc.job.nextFireAt ?? NaN);
  if (e.plan !== undefined && e.plan === tag && doc.plans?.at(-1)?.[0] !== tag) return true;
  return isPrunable(e) && (e.owed ?? []).some((owed) => doc.applied[owed.id] === undefined);
}

/** Candidates of a claim or take-over, picked from the mirror. */
type Pick = (e: Work) => boolean;

/** The executions part of the NATS store. */
export class Executions {
  /** Per job key, the last of this process's start calls (they go one after the other). */
  private readonly starting = new Map<string, Promise<unknown>>();

  constructor(private readonly parts: () => Parts) {}

  async claim(params: ClaimParams): Promise<Claim[]> {
    const { owner, now, until, leaseMs, share } = params;
    const claimable: Pick = (e) =>
      e.leaseOwner === null && e.runAt <= until && inShare(e.jobId, e.runAt, share);
    return this.lease(
      (due) => due.waiting.upTo(until),
      claimable,
      params.limit,
      (e) => {
        e.leaseOwner = owner;
        e.leaseUntil = Math.max(e.runAt, now) + leaseMs;
        e.leaseToken += 1;
        return {};
      },
    );
  }

  async takeOver(params: TakeOverParams): Promise<Claim[]> {
    const { owner, now, leaseMs } = params;
    const expired: Pick = (e) =>
      e.leaseOwner !== null && e.leaseUntil !== null && e.leaseUntil < now;
    return this.lease(
      (due) => due.leased.upTo(now),
      expired,
      params.limit,
      (e) => {
        const takenFrom = e.leaseOwner ?? '';
        if (mayHaveRunUnderLease(e)) markMayHaveRun(e);
        e.leaseOwner = owner;
        e.leaseUntil = Math.max(e.runAt, now) + leaseMs;
        e.leaseToken += 1;
        return { takenFrom };
      },
    );
  }

  /**
   * Starts of one job one after the other, in the order they came (a checked
   * start sees the ones before it, as the SQL stores' lock of the job's row
   * orders them); jobs at once.
   */
  async start({ starts }: { starts: StartRequest[] }): Promise<StartResult[]> {
    const { docs } = this.parts();
    const results: StartResult[] = starts.map(() => 'rejected');
    const byJob = new Map<string, number[]>();
    starts.forEach((start, i) => {
      const job = jobKeyOf(docs.work.keyOf(start.id) ?? '');
      byJob.set(job, [...(byJob.get(job) ?? []), i]);
    });
    await Promise.all(
      [...byJob].map(([job, indexes]) =>
        this.inOrder(job, async () => {
          for (const i of indexes) results[i] = await this.startOne(starts[i] as StartRequest);
        }),
      ),
    );
    return results;
  }

  /** Runs this process's starts of one job one call after the other, in the order they came. */
  private inOrder(job: string, run: () => Promise<void>): Promise<void> {
    const next = (this.starting.get(job) ?? Promise.resolve()).then(run);
    const settled = next.catch(() => undefined);
    this.starting.set(job, settled);
    void settled.then(() => {
      if (this.starting.get(job) === settled) this.starting.delete(job);
    });
    return next;
  }

  private async startOne(start: StartRequest): Promise<StartResult> {
    if (start.unlessOverlapping) return checkedStart(this.parts(), start);
    const started = await this.fenced(start, (e) => {
      if (!isStartable(e) || e.attempt !== start.attempt - 1) return false;
      if (start.abandoned) e.attempts.push(structuredClone(start.abandoned));
      Object.assign(e, { status: 'running', attempt: start.attempt, startedAt: start.startedAt });
      return true;
    });
    return started ? 'started' : 'rejected';
  }

  async markRunning({ marks }: { marks: RunningMark[] }): Promise<string[]> {
    const marked = await Promise.all(
      marks.map((mark) =>
        this.fenced(mark, (e) => {
          if (e.status !== 'scheduled') return false;
          Object.assign(e, { status: 'running', attempt: mark.attempt, startedAt: mark.startedAt });
          return true;
        }),
      ),
    );
    return marks.filter((_, i) => marked[i]).map((m) => m.id);
  }

  /** Each end is written to its execution's key with its debt to the job, then settled per job. */
  async finish({ finishes }: { finishes: FinishRequest[] }): Promise<boolean[]> {
    const ended = new Map<string, Work[]>();
    const { docs } = this.parts();
    const accepted = await docs.together(() =>
      Promise.all(
        finishes.map(async (finish) => {
          let written: Work | undefined;
          const ok = await this.fenced(finish, (e) => {
            if (!isFinishable(e, finish)) return false;
            applyFinish(e, finish);
            const prunable = isPrunable(e);
            if (finish.lastOutcome || finish.stats || prunable)
              addOwed(e, {
                ...(finish.lastOutcome ? { lastOutcome: finish.lastOutcome } : {}),
                ...(finish.stats ? { stats: finish.stats } : {}),
                ...(prunable
                  ? { prune: { at: finish.finishedAt ?? e.fireAt, retention: finish.retention } }
                  : {}),
              });
            written = e;
            return true;
          });
          if (ok && written)
            ended.set(written.jobId, [...(ended.get(written.jobId) ?? []), written]);
          return ok;
        }),
      ),
    );
    const parts = this.parts();
    await Promise.all([...ended].map(([jobId, works]) => settle(parts, jobId, works)));
    return accepted;
  }

  async renew(params: { owner: string; leases: LeaseRef[]; until: number }): Promise<string[]> {
    const renewed = await Promise.all(
      params.leases.map((lease) =>
        this.fenced(lease, (e) => {
          if (e.leaseOwner !== params.owner) return false;
          e.leaseUntil = params.until;
          return true;
        }),
      ),
    );
    return params.leases.filter((_, i) => renewed[i]).map((l) => l.id);
  }

  async release({ leases }: { leases: LeaseRef[] }): Promise<void> {
    await Promise.all(
      leases.map((lease) =>
        this.fenced(
          lease,
          (e) => {
            Object.assign(e, { leaseOwner: null, leaseUntil: null });
            return true;
          },
          false,
        ),
      ),
    );
  }

  /** One execution, read from its key. */
  async get(id: string): Promise<ExecutionRecord | null> {
    const { docs } = this.parts();
    // One this instance's mirror has not seen may have been written by another a moment ago.
    const caughtUp = () =>
      docs.mirror.caughtUp(CATCH_UP_MS).catch((err: unknown) => {
        throw unavailable(err, 'reading an execution');
      });
    const key = docs.work.keyOf(id) ?? ((await caughtUp()) ? docs.work.keyOf(id) : undefined);
    if (key === undefined) return null;
    const entry = await docs.readKey(key);
    return entry && isWork(entry.value) && entry.value.id === id && !entry.value.dropped
      ? recordOf(entry.value)
      : null;
  }

  /** Executions newest first, from the mirror. */
  async list(params: ExecutionsListParams): Promise<ExecutionRecord[]> {
    const { docs } = this.parts();
    const { jobId, status, before } = params;
    const found: Work[] = [];
    // One whose plan or end its job has not applied yet is not listed (as in one transaction).
    const of = jobId === undefined ? docs.work.entries() : docs.work.of(keyOf(jobId));
    for (const [, value] of of)
      if (
        (status === undefined || value.status === status) &&
        (before === undefined || compareNewestFirst(value, before) > 0) &&
        !value.dropped &&
        !isPending(value, docs.known(value.jobId)?.value)
      )
        found.push(value);
    return found.sort(compareNewestFirst).slice(0, params.limit).map(recordOf);
  }

  /**
   * Changes an execution by compare-and-set of its key, if the lease named
   * is still held with its token (`held`: and by someone); false otherwise or
   * when `apply` declines.
   */
  private async fenced(
    lease: LeaseRef,
    apply: (e: Work) => boolean,
    held = true,
  ): Promise<boolean> {
    const { docs } = this.parts();
    const key = docs.work.keyOf(lease.id);
    if (key === undefined) return false;
    const changed = await docs.change<Stored, boolean>(key, (value) => {
      if (!hasWork(value) || value.id !== lease.id || value.leaseToken !== lease.leaseToken)
        return { answer: false };
      if (held && value.leaseOwner === null) return { answer: false };
      return apply(value) ? { answer: true, write: value } : { answer: false };
    });
    return changed?.answer ?? false;
  }

  /**
   * Up to `limit` executions with work that `pick` accepts (of jobs the
   * mirror knows), read in the order of `keys` (by an instant: run time, or
   * the lease's end); ties ordered by fire, as the SQL stores' index orders
   * them (a backfill's fires, due at once, start in order).
   */
  private candidates(keys: Iterable<[number, string]>, pick: Pick, limit: number): Work[] {
    const { docs } = this.parts();
    const found: { at: number; work: Work }[] = [];
    for (const [at, key] of keys) {
      // The ties of the last one taken are read too, to be ordered with it.
      if (found.length >= limit && at !== found.at(-1)?.at) break;
      const value = docs.workAt(key);
      if (value && hasWork(value) && pick(value) && docs.has(value.jobId))
        found.push({ at, work: value });
    }
    const byOrder = (a: { at: number; work: Work }, b: { at: number; work: Work }) =>
      a.at - b.at ||
      a.work.fireAt - b.work.fireAt ||
      (a.work.id < b.work.id ? -1 : a.work.id > b.work.id ? 1 : 0);
    return found
      .sort(byOrder)
      .slice(0, limit)
      .map(({ work }) => work);
  }

  /**
   * Leases up to `limit` of what `pick` accepts among the keys `due` lists,
   * earliest first, one compare-and-set per execution; each is checked again
   * against its key, and what another claimer took first is replaced by the
   * next candidates. Fails only when no lease was taken and one failed.
   */
  private async lease(
    due: (index: DueIndex) => Iterable<[number, string]>,
    pick: Pick,
    limit: number,
    take: (e: Work) => { takenFrom?: string },
  ): Promise<Claim[]> {
    const claims: Claim[] = [];
    const tried = new Set<string>();
    const { docs } = this.parts();
    while (claims.length < limit) {
      const found = this.candidates(
        due(docs.due),
        (e) => !tried.has(e.id) && pick(e),
        limit - claims.length,
      );
      if (found.length === 0) break;
      for (const e of found) tried.add(e.id);
      // A lease that fails (its write refused, or of unknown outcome past the resends) fails
      // alone: the others' claims are returned, not left leased unknown to their holder.
      const taken = await Promise.allSettled(found.map((e) => this.leaseOne(e, pick, take)));
      for (const t of taken) if (t.status === 'fulfilled' && t.value) claims.push(t.value);
      const failed = taken.find((t) => t.status === 'rejected');
      if (failed && claims.length === 0) throw failed.reason;
      if (failed) break;
    }
    return claims;
  }

  /** One lease by compare-and-set of the candidate's key, if `pick` still accepts it: its claim, or null. */
  private async leaseOne(
    candidate: Work,
    pick: Pick,
    take: (e: Work) => { takenFrom?: string },
  ): Promise<Claim | null> {
    const { docs } = this.parts();
    const key = docs.work.keyOf(candidate.id);
    if (key === undefined) return null;
    const changed = await docs.change<Stored, { takenFrom?: string } | null>(key, (value) => {
      if (!hasWork(value) || value.id !== candidate.id || !pick(value)) return { answer: null };
      return { answer: take(value), write: value };
    });
    const taken = changed?.answer;
    const work = changed?.value;
    if (!taken || !work || !isWork(work)) return null;
    const job = (docs.known(work.jobId) ?? (await docs.read(work.jobId)))?.value.job;
    if (!job) return null;
    const claim: Claim = { execution: recordOf(work), job: copyJson(job) };
    return taken.takenFrom === undefined
      ? claim
      : Object.assign(claim, { takenFrom: taken.takenFrom });
  }
}
