/**
 * A job's document as the mirror keeps it: one compact string, decoded when
 * read. Decoded, a document is a dozen objects, strings and boxed numbers
 * (about 0.8–1 KB of heap for a plain one-shot); its JSON is one string of
 * ~600 B, and without the field names, in a fixed order, ~300 B. The
 * bucket's bytes stay plain JSON: this is the mirror's form only. The
 * write's id (`writeId`) is left out: a writer tells its own write by the
 * bytes the bucket holds (`key-write.ts`), never by the mirror.
 *
 * A document whose fields are not exactly the ones known here (a field added
 * later, one written by a newer version) is kept as its JSON text, whole.
 */
import type { JobDocument } from './documents.js';
import type { JobRecord, JobStats } from '../store.js';

/** The fields of a job record, in their packed order. */
const JOB_FIELDS = [
  'id',
  'definition',
  'paused',
  'nextFireAt',
  'version',
  'createdAt',
  'updatedAt',
  'completedAt',
  'fireCount',
  'lastOutcome',
  'staleAfterMs',
  'stats',
  'staleSince',
  'pruneAfter',
] as const satisfies readonly (keyof JobRecord)[];

/** The fields of a job's statistics, in their packed order. */
const STATS_FIELDS = [
  'lastFireAt',
  'lastSuccessAt',
  'lastFailureAt',
  'succeeded',
  'failed',
  'missed',
  'skipped',
] as const satisfies readonly (keyof JobStats)[];

/** The fields a document may have. */
const DOCUMENT_FIELDS = new Set(['job', 'applied', 'starts', 'plans', 'dropBelow', 'writeId']);

/** The packed string of a document (its JSON text when its fields are not the known ones). */
export function packDocument(doc: JobDocument): string {
  const text = JSON.stringify(isPackable(doc) ? toArray(doc) : doc);
  // JSON.stringify answers a string of parts (~45 % more heap, measured): reading a
  // character makes it one string of its length.
  text.charCodeAt(0);
  return text;
}

/** The document a packed string holds (without its `writeId`): a new object, the caller's own. */
export function unpackDocument(packed: string): JobDocument {
  const value = JSON.parse(packed) as unknown;
  return Array.isArray(value) ? fromArray(value) : (value as JobDocument);
}

function isPackable(doc: JobDocument): boolean {
  return (
    Object.keys(doc).every((field) => DOCUMENT_FIELDS.has(field)) &&
    hasExactly(doc.job, JOB_FIELDS) &&
    hasExactly(doc.job.stats, STATS_FIELDS) &&
    typeof doc.applied === 'object' &&
    typeof doc.starts === 'object' &&
    (doc.plans === undefined || Array.isArray(doc.plans)) &&
    (doc.dropBelow === undefined || typeof doc.dropBelow === 'number') &&
    (doc.writeId === undefined || typeof doc.writeId === 'string')
  );
}

/** True when `value` has these fields, each defined, and no other. */
function hasExactly(value: object | null, fields: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return (
    Object.keys(record).length === fields.length &&
    fields.every((field) => record[field] !== undefined)
  );
}

function toArray(doc: JobDocument): unknown[] {
  const { job } = doc;
  const { stats } = job;
  // In the order of JOB_FIELDS (stats in its place: 0) then STATS_FIELDS, as fromArray reads them.
  return [
    job.id,
    job.definition,
    job.paused,
    job.nextFireAt,
    job.version,
    job.createdAt,
    job.updatedAt,
    job.completedAt,
    job.fireCount,
    job.lastOutcome,
    job.staleAfterMs,
    0,
    job.staleSince,
    job.pruneAfter,
    stats.lastFireAt,
    stats.lastSuccessAt,
    stats.lastFailureAt,
    stats.succeeded,
    stats.failed,
    stats.missed,
    stats.skipped,
    doc.applied,
    doc.starts,
    doc.plans ?? null,
    doc.dropBelow ?? null,
  ];
}

function fromArray(values: unknown[]): JobDocument {
  const at = (i: number) => values[i] as never;
  const s = JOB_FIELDS.length;
  const stats: JobStats = {
    lastFireAt: at(s),
    lastSuccessAt: at(s + 1),
    lastFailureAt: at(s + 2),
    succeeded: at(s + 3),
    failed: at(s + 4),
    missed: at(s + 5),
    skipped: at(s + 6),
  };
  const job: JobRecord = {
    id: at(0),
    definition: at(1),
    paused: at(2),
    nextFireAt: at(3),
    version: at(4),
    createdAt: at(5),
    updatedAt: at(6),
    completedAt: at(7),
    fireCount: at(8),
    lastOutcome: at(9),
    staleAfterMs: at(10),
    stats,
    staleSince: at(12),
    pruneAfter: at(13),
  };
  const d = s + STATS_FIELDS.length;
  const doc: JobDocument = { job, applied: at(d), starts: at(d + 1) };
  if (values[d + 2] !== null) doc.plans = at(d + 2);
  if (values[d + 3] !== null) doc.dropBelow = at(d + 3);
  return doc;
}
