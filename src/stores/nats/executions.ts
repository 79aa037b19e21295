/**
 * The NATS store's work on executions: claims, take-overs, starts, ends and
 * leases, each one compare-and-set per job document touched (all of a
 * request's executions of one job in one write); and the reads of executions,
 * from the documents (work) and the history bucket (finished ones).
 */
import type { Share } from '../instances.js';
import {
  compareNewestFirst,
  inShare,
  isFinishable,
  isPrunable,
  isStartable,
  isUnfinishedForOverlap,
  markMayHaveRun,
  mayHaveRunUnderLease,
  pruneAfterAdding,
  applyStats,
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
} from '../store.js';
import type { Parts } from './nats-store.js';
import { countFinished, type HistorySummary, type JobDocument } from './documents.js';

/** Candidates of a claim or take-over, picked from the mirror. */
type Pick = (e: ExecutionRecord) => boolean;

/** The executions part of the NATS store. */
export class Executions {
  constructor(private readonly parts: () => Parts) {}

  async claim(params: {
    owner: string;
    now: number;
    until: number;
    leaseMs: number;
    limit: number;
    share?: Share;
  }): Promise<Claim[]> {
    const { owner, now, until, leaseMs, share } = params;
    const claimable: Pick = (e) =>
      e.leaseOwner === null && e.runAt <= until && inShare(e.jobId, e.runAt, share);
    return this.lease(
      claimable,
      (e) => e.runAt,
      params.limit,
      (e) => {
        e.leaseOwner = owner;
        e.leaseUntil = Math.max(e.runAt, now) + leaseMs;
        e.leaseToken += 1;
        return {};
      },
    );
  }

  async takeOver(params: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
  }): Promise<Claim[]> {
    const { owner, now, leaseMs } = params;
    const expired: Pick = (e) =>
      e.leaseOwner !== null && e.leaseUntil !== null && e.leaseUntil < now;
    return this.lease(
      expired,
      (e) => e.leaseUntil ?? 0,
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

  async start({ starts }: { starts: StartRequest[] }): Promise<StartResult[]> {
    return this.perJob(
      starts,
      'rejected' as StartResult,
      (doc, start) => {
        const e = doc.active.find((x) => x.id === start.id);
        if (!e || e.leaseToken !== start.leaseToken || e.leaseOwner === null) return 'rejected';
        if (!isStartable(e) || e.attempt !== start.attempt - 1) return 'rejected';
        if (
          start.unlessOverlapping &&
          doc.active.some((o) => o.id !== e.id && isUnfinishedForOverlap(o, e))
        )
          return 'overlapping';
        if (start.abandoned) e.attempts.push(structuredClone(start.abandoned));
        Object.assign(e, { status: 'running', attempt: start.attempt, startedAt: start.startedAt });
        return 'started';
      },
      (r) => r === 'started',
    );
  }

  async markRunning({ marks }: { marks: RunningMark[] }): Promise<string[]> {
    const marked = await this.perJob(marks, false, (doc, mark) => {
      const e = doc.active.find((x) => x.id === mark.id);
      if (!e || e.leaseToken !== mark.leaseToken || e.leaseOwner === null) return false;
      if (e.status !== 'scheduled') return false;
      Object.assign(e, { status: 'running', attempt: mark.attempt, startedAt: mark.startedAt });
      return true;
    });
    return marks.filter((_, i) => marked[i]).map((m) => m.id);
  }

  async finish({ finishes }: { finishes: FinishRequest[] }): Promise<boolean[]> {
    const { history } = this.parts();
    const written = new Map<string, ExecutionRecord>();
    const accepted = await this.perJob(
      finishes,
      false,
      (doc, finish) => finishOne(doc, finish),
      (ok) => ok,
      async (finals) => {
        const fresh = finals.filter((e) => !written.has(e.id));
        await history.put(fresh);
        for (const e of fresh) written.set(e.id, e);
      },
    );
    // Records written for a write that then failed its fence are not history.
    const kept = new Set(finishes.filter((_, i) => accepted[i]).map((f) => f.id));
    const orphans = [...written.values()].filter((e) => !kept.has(e.id));
    if (orphans.length > 0) await history.remove(orphans);
    return accepted;
  }

  async renew(params: { owner: string; leases: LeaseRef[]; until: number }): Promise<string[]> {
    const renewed = await this.perJob(params.leases, false, (doc, lease) => {
      const e = doc.active.find((x) => x.id === lease.id);
      if (!e || e.leaseToken !== lease.leaseToken || e.leaseOwner !== params.owner) return false;
      e.leaseUntil = params.until;
      return true;
    });
    return params.leases.filter((_, i) => renewed[i]).map((l) => l.id);
  }

  async release({ leases }: { leases: LeaseRef[] }): Promise<void> {
    await this.perJob(leases, false, (doc, lease) => {
      const e = doc.active.find((x) => x.id === lease.id);
      if (!e || e.leaseToken !== lease.leaseToken) return false;
      Object.assign(e, { leaseOwner: null, leaseUntil: null });
      return true;
    });
  }

  /** One execution, from its job's document or the history bucket. */
  async get(id: string): Promise<ExecutionRecord | null> {
    const { docs, history } = this.parts();
    const jobId = docs.jobOfActive(id);
    if (jobId !== undefined) {
      const active = (await docs.read(jobId))?.value.active.find((e) => e.id === id);
      if (active) return active;
    }
    const finishedJob = await history.jobOf(id);
    return finishedJob === null ? null : history.get(finishedJob, id);
  }

  /** Executions newest first, from the mirrors; finished ones read by key. */
  async list(params: ExecutionsListParams): Promise<ExecutionRecord[]> {
    const { docs, history } = this.parts();
    const { jobId, status, before } = params;
    const admits = (e: Omit<HistorySummary, 'trigger'>) =>
      (jobId === undefined || e.jobId === jobId) &&
      (status === undefined || e.status === status) &&
      (before === undefined || compareNewestFirst(e, before) > 0);
    const found: (ExecutionRecord | HistorySummary)[] = [];
    for (const [, doc] of docs.mirror.values())
      if (jobId === undefined || doc.job.id === jobId) found.push(...doc.active.filter(admits));
    for (const [, summary] of history.mirror.values()) if (admits(summary)) found.push(summary);
    const page = found.sort(compareNewestFirst).slice(0, params.limit);
    const records = await Promise.all(
      page.map((e) => ('leaseToken' in e ? structuredClone(e) : history.get(e.jobId, e.id))),
    );
    return records.filter((e) => e !== null);
  }

  /** Up to `limit` executions of the mirror that `pick` accepts, ordered by `order`. */
  private candidates(
    pick: Pick,
    order: (e: ExecutionRecord) => number,
    limit: number,
  ): ExecutionRecord[] {
    const found: ExecutionRecord[] = [];
    for (const [, doc] of this.parts().docs.mirror.values())
      for (const e of doc.active) if (pick(e)) found.push(e);
    return found.sort((a, b) => order(a) - order(b)).slice(0, limit);
  }

  /**
   * Leases up to `limit` of what `pick` accepts, oldest by `order` first, one
   * write per job; each is checked again against its job's document, and what
   * another claimer took first is replaced by the next candidates.
   */
  private async lease(
    pick: Pick,
    order: (e: ExecutionRecord) => number,
    limit: number,
    take: (e: ExecutionRecord) => { takenFrom?: string },
  ): Promise<Claim[]> {
    const claims: Claim[] = [];
    const tried = new Set<string>();
    while (claims.length < limit) {
      const found = this.candidates(
        (e) => !tried.has(e.id) && pick(e),
        order,
        limit - claims.length,
      );
      if (found.length === 0) break;
      for (const e of found) tried.add(e.id);
      const taken = await this.perJob(
        found,
        null as Claim | null,
        (doc, candidate) => {
          const e = doc.active.find((x) => x.id === candidate.id);
          if (!e || !pick(e)) return null;
          const { takenFrom } = take(e);
          const claim: Claim = { execution: structuredClone(e), job: structuredClone(doc.job) };
          return takenFrom === undefined ? claim : Object.assign(claim, { takenFrom });
        },
        (c) => c !== null,
      );
      claims.push(...taken.filter((c) => c !== null));
    }
    return claims;
  }

  /**
   * Applies `apply` to each item in its job's document, one compare-and-set per
   * job (items of one job in request order); answers per item, in order
   * (`none` for an execution the mirror does not know). `wrote` says which
   * answers changed the document; `prepare` gets, before each write, the
   * executions that write makes finished.
   */
  private async perJob<T extends { id: string }, R>(
    items: readonly T[],
    none: R,
    apply: (doc: JobDocument, item: T) => R,
    wrote: (answer: R) => boolean = (answer) => answer === true,
    prepare?: (finals: ExecutionRecord[]) => Promise<void>,
  ): Promise<R[]> {
    const { docs } = this.parts();
    const answers = items.map(() => none);
    const groups = new Map<string, number[]>();
    items.forEach((item, i) => {
      const jobId = docs.jobOfActive(item.id);
      if (jobId !== undefined) groups.set(jobId, [...(groups.get(jobId) ?? []), i]);
    });
    await Promise.all(
      [...groups].map(async ([jobId, indexes]) => {
        const changed = await docs.change(
          jobId,
          (doc) => {
            const got = indexes.map((i) => apply(doc, items[i] as T));
            const finals = doc.active.filter((e) => isPrunable(e));
            doc.active = doc.active.filter((e) => !isPrunable(e));
            return { answer: { got, finals }, write: got.some(wrote) };
          },
          prepare && (async ({ finals }) => (finals.length > 0 ? prepare(finals) : undefined)),
        );
        changed?.answer.got.forEach((answer, k) => (answers[indexes[k] ?? 0] = answer));
      }),
    );
    return answers;
  }
}

/** One fenced end in its job's document; the execution stays in `active` until perJob moves it. */
function finishOne(doc: JobDocument, finish: FinishRequest): boolean {
  const e = doc.active.find((x) => x.id === finish.id);
  if (!e || e.leaseToken !== finish.leaseToken || e.leaseOwner === null) return false;
  if (!isFinishable(e, finish)) return false;
  applyFinish(e, finish);
  const { job } = doc;
  if (finish.lastOutcome) job.lastOutcome = { ...finish.lastOutcome };
  if (finish.stats) applyStats(job, finish.stats);
  if (isPrunable(e)) {
    countFinished(doc, e);
    job.pruneAfter = pruneAfterAdding(
      job.pruneAfter,
      doc.kept,
      finish.finishedAt ?? e.fireAt,
      finish.retention,
    );
  }
  return true;
}
