/**
 * A start checked for overlap (`StartRequest.unlessOverlapping`): no earlier
 * execution of the job may be unfinished when it is written, and two such
 * starts of one job must not both pass. Each execution is its own key, so the
 * job's document is the point they meet: a checked start
 *
 * 1. reads its execution and checks the fence;
 * 2. reads the job's document, and the current state of every earlier
 *    execution that may be unfinished — those the document names in `starts`
 *    (checked starts not known to have finished) and those the mirror shows
 *    leased or unfinished;
 * 3. writes the document (compare-and-set), adding itself to `starts` with
 *    the revision its key has, and dropping the entries it found finished;
 * 4. writes its execution `running` on that revision.
 *
 * Of two checked starts of one job, the second to write the document sees
 * the first in `starts`. If the first's step 4 is not written yet (its key
 * is still at the revision named), the second waits a little, then fences it
 * out: it rewrites that key on that revision, so the first's step 4 fails
 * and the first starts over from step 1, where it meets the second's start
 * as it now stands (only earlier fires stand in a start's way, as on the SQL
 * stores).
 */
import { isStartable, isUnfinishedForOverlap } from '../rules.js';
import type { StartRequest, StartResult } from '../store.js';
import { hasWork, isWork, keyOf, without, type JobDocument, type Work } from './documents.js';
import type { Parts } from './nats-store.js';

/** Looks at an unconfirmed start this many times, this far apart, before fencing it out. */
const IN_FLIGHT_LOOKS = 10;
const IN_FLIGHT_PAUSE_MS = 50;
/** Attempts of the whole start before it gives up (as a rejection) on a job others keep moving. */
const ATTEMPTS = 20;

/** A checked start; see the module comment. */
export async function checkedStart(parts: Parts, start: StartRequest): Promise<StartResult> {
  const { docs } = parts;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const key = docs.work.keyOf(start.id);
    const mine = key === undefined ? null : await docs.readKey(key);
    if (!key || !mine || !hasWork(mine.value) || !fenceHolds(mine.value, start)) return 'rejected';
    const doc = await docs.read(mine.value.jobId);
    if (!doc) return 'rejected';
    const verdict = await earlierUnfinished(parts, doc.value, mine.value);
    if (verdict === 'overlapping') return 'overlapping';
    const next = structuredClone(doc.value);
    next.starts = without(next.starts, verdict.finished);
    next.starts[start.id] = { fireAt: mine.value.fireAt, revision: mine.revision };
    if ((await docs.replace(keyOf(next.job.id), next, doc.revision)) === null) continue;
    const started = mine.value;
    if (start.abandoned) started.attempts.push(structuredClone(start.abandoned));
    Object.assign(started, {
      status: 'running',
      attempt: start.attempt,
      startedAt: start.startedAt,
    });
    if ((await docs.replace(key, started, mine.revision)) !== null) return 'started';
  }
  return 'rejected';
}

function fenceHolds(e: Work, start: StartRequest): boolean {
  return (
    e.id === start.id &&
    e.leaseToken === start.leaseToken &&
    e.leaseOwner !== null &&
    isStartable(e) &&
    e.attempt === start.attempt - 1
  );
}

/**
 * `overlapping` when an earlier execution is unfinished now; else the ids
 * of the document's `starts` found finished (or never started).
 */
async function earlierUnfinished(
  parts: Parts,
  doc: JobDocument,
  mine: Work,
): Promise<'overlapping' | { finished: string[] }> {
  const { docs } = parts;
  const keys = new Map<string, number | null>();
  for (const [id, { fireAt, revision }] of Object.entries(doc.starts)) {
    const key = docs.work.keyOf(id);
    if (id === mine.id || fireAt >= mine.fireAt) continue;
    if (key === undefined) keys.set(`#${id}`, null);
    else keys.set(key, revision);
  }
  for (const [key, value] of docs.work.of(keyOf(doc.job.id)))
    if (hasWork(value) && value.fireAt < mine.fireAt && value.id !== mine.id)
      if (value.leaseOwner !== null || isUnfinishedForOverlap(value, mine))
        if (!keys.has(key)) keys.set(key, null);
  const looks = await Promise.all(
    [...keys].map(async ([key, revision]) =>
      key.startsWith('#') ? 'finished' : look(parts, key, revision, mine),
    ),
  );
  if (looks.includes('unfinished')) return 'overlapping';
  const finished = Object.keys(doc.starts).filter((id) => {
    const key = docs.work.keyOf(id);
    const at = [...keys.keys()].indexOf(key ?? `#${id}`);
    return id !== mine.id && at >= 0 && looks[at] === 'finished';
  });
  return { finished };
}

/**
 * An earlier execution's state now: unfinished, or finished (or never
 * started). One whose key is still at `revision` (a checked start not yet
 * written) is looked at again, then fenced out.
 */
async function look(
  parts: Parts,
  key: string,
  revision: number | null,
  mine: Work,
): Promise<'unfinished' | 'finished'> {
  const { docs } = parts;
  for (let looks = 0; ; looks++) {
    const entry = await docs.readKey(key);
    if (!entry || !isWork(entry.value)) return 'finished';
    const e = entry.value;
    if (isUnfinishedForOverlap(e, mine)) return 'unfinished';
    if (revision === null || entry.revision !== revision) return 'finished';
    if (looks < IN_FLIGHT_LOOKS) {
      await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_PAUSE_MS));
      continue;
    }
    if ((await docs.replace(key, e, revision)) !== null) return 'finished';
  }
}
