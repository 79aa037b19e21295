/**
 * The NATS mirror's jobs kept packed (`packed-document.ts`) and the indexes
 * its scans read instead of decoding every document (`document-index.ts`):
 * a packed document reads back as written (but for its write id), one of an
 * unknown shape is kept whole, and a store's mirror — from its own writes
 * and from another instance's, through the watch — keeps each job's
 * document as one string that decodes to the job the bucket holds (one an
 * earlier version wrote with its definition's hash too, read and written back
 * without it); the debt sweep finds the documents that name debts by its index.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DocumentIndex } from '../../src/stores/nats/document-index.js';
import { encode, keyOf, type JobDocument } from '../../src/stores/nats/documents.js';
import type { JobDocuments } from '../../src/stores/nats/job-documents.js';
import type { NatsStore } from '../../src/stores/nats/index.js';
import { packDocument, unpackDocument } from '../../src/stores/nats/packed-document.js';
import { serviceAvailable } from '../helpers/services.js';
import { natsStores, planAtT0 } from './nats-fixture.js';
import { makeExecutionRecord, makeJobRecord, makeLastOutcome, makeStats, T0 } from './records.js';

const available = await serviceAvailable('nats');

/** A document whose every field holds a value of its own (none left at a default). */
function fullDocument(): JobDocument {
  return {
    job: makeJobRecord({
      definition: {
        schedule: { kind: 'cron', expr: '*/5 * * * *', tz: 'Europe/Paris' },
        target: { type: 'http', url: 'https://example.com/é' },
        metadata: { team: 'ops' },
        payload: { n: [1, null, 'x'] },
      },
      paused: true,
      nextFireAt: T0 + 1,
      version: 7,
      createdAt: T0 - 5,
      updatedAt: T0 - 2,
      completedAt: T0 + 3,
      fireCount: 11,
      lastOutcome: makeLastOutcome(),
      staleAfterMs: 60_000,
      stats: makeStats({
        lastFireAt: T0 - 9,
        lastSuccessAt: T0 - 8,
        lastFailureAt: T0 - 7,
        succeeded: 4,
        failed: 3,
        missed: 2,
        skipped: 1,
      }),
      staleSince: T0 - 1,
      pruneAfter: T0 + 4,
    }),
    applied: { 'owed-1': 'e-1' },
    starts: { 'e-2': { fireAt: T0, revision: 12 } },
    plans: [
      ['7:100', 123],
      ['7:123', 150],
    ],
    dropBelow: 6,
    writeId: 'w-1',
  };
}

describe('packed documents', () => {
  it('read back as written, but for the write id, in less than their JSON', () => {
    const doc = fullDocument();
    const packed = packDocument(doc);
    const { writeId: _, ...kept } = doc;
    expect(unpackDocument(packed)).toEqual(kept);
    expect(packed.startsWith('[')).toBe(true);
    expect(packed.length).toBeLessThan(JSON.stringify(kept).length * 0.7);
  });

  it('leave out the plans and the drop a document does not name', () => {
    const { plans: _, dropBelow: ___, writeId: __, ...doc } = fullDocument();
    expect(unpackDocument(packDocument(doc))).toStrictEqual(doc);
  });

  it('keep a document of another shape whole, as its JSON', () => {
    const doc = fullDocument();
    const grown = { ...doc, job: { ...doc.job, later: 1 } } as JobDocument;
    const packed = packDocument(grown);
    expect(packed.startsWith('{')).toBe(true);
    expect(unpackDocument(packed)).toEqual(grown);
  });

  it('decode to a new object each time', () => {
    const packed = packDocument(fullDocument());
    const first = unpackDocument(packed);
    first.job.stats.succeeded = 99;
    expect(unpackDocument(packed).job.stats.succeeded).toBe(4);
  });
});

describe('DocumentIndex', () => {
  it('orders documents by pruneAfter and by the instant they go stale, and names those owing', () => {
    const index = new DocumentIndex();
    const doc = fullDocument();
    const stale = { ...doc.job, paused: false, completedAt: null, staleSince: null };
    index.change('k', { ...doc, job: stale });
    expect([...index.pruning.upTo(Infinity)]).toEqual([[T0 + 4, 'k']]);
    expect([...index.staling.upTo(Infinity)]).toEqual([[T0 - 8 + 60_000, 'k']]);
    expect([...index.owing]).toEqual(['k']);
    index.change('k', { ...doc, applied: {} }); // paused: not going stale
    expect([...index.staling.upTo(Infinity)]).toEqual([]);
    expect([...index.owing]).toEqual([]);
    index.change('k', null);
    expect([...index.pruning.upTo(Infinity)]).toEqual([]);
  });
});

describe.skipIf(!available)('nats store: the mirror keeps jobs packed', () => {
  const { makeStore, bucket, cleanup } = natsStores();
  afterEach(cleanup);

  const docsOf = (store: NatsStore) =>
    (store as unknown as { opened: { docs: JobDocuments } }).opened.docs;

  it('keeps each job as one string, from its own writes and from the watch, that reads as the bucket’s', async () => {
    const writer = makeStore();
    await writer.open();
    const reader = makeStore({ prefix: writer.prefix });
    await reader.open();
    const jobs = [
      makeJobRecord({ id: 'a' }),
      makeJobRecord({ id: 'b', definition: fullDocument().job.definition, staleAfterMs: 9 }),
    ];
    const writes = jobs.map((job) => ({ job, expectedVersion: null, dropPlanned: false }));
    expect(await writer.jobsWrite({ writes })).toEqual([]);
    await docsOf(reader).mirror.caughtUp(5_000);
    for (const store of [writer, reader])
      for (const job of jobs) {
        const docs = docsOf(store);
        expect(typeof docs.mirror.get(keyOf(job.id))?.value).toBe('string');
        expect(docs.known(job.id)?.value.job).toEqual(await writer.jobGet({ id: job.id }));
      }
    expect(await reader.jobsList({ limit: 10 })).toEqual(await writer.jobsGet({ ids: ['a', 'b'] }));
  });

  it('reads a document an earlier version wrote with the definition hash as the job without it, keeps it packed, and writes it back without', async () => {
    const store = makeStore();
    await store.open();
    const kv = await bucket(store, 'jobs');
    const job = makeJobRecord({ nextFireAt: T0 });
    const key = keyOf(job.id);
    await kv.put(key, encode({ job: { ...job, hash: 'a digest' }, applied: {}, starts: {} }));
    await docsOf(store).mirror.caughtUp(5_000);
    expect(String(docsOf(store).mirror.get(key)?.value).startsWith('[')).toBe(true);
    expect(await store.jobGet({ id: job.id })).toEqual(job);
    expect(await store.jobsList({ limit: 10 })).toEqual([job]);
    const execution = makeExecutionRecord({ jobId: job.id, fireAt: T0 });
    const { applied } = await store.jobsAdvance({ plans: [planAtT0(job, execution)] });
    expect(applied).toHaveLength(1);
    const stored = JSON.parse((await kv.get(key))?.string() ?? 'null') as JobDocument;
    expect(stored.job.nextFireAt).toBe(T0 + 60_000);
    expect(Object.keys(stored.job)).not.toContain('hash');
  });

  it('forgets, by the index of documents naming debts, a debt no key owes any more (a writer crashed before its last step)', async () => {
    const store = makeStore();
    const job = makeJobRecord();
    await store.open();
    const kv = await bucket(store, 'jobs');
    const doc: JobDocument = { job, applied: { 'debt-1': 'gone' }, starts: {} };
    await kv.put(keyOf(job.id), encode(doc));
    await docsOf(store).mirror.caughtUp(5_000);
    expect([...docsOf(store).documents.owing]).toEqual([keyOf(job.id)]);
    // The second pass forgets what the first saw.
    for (let i = 0; i < 2; i++)
      await store.executionsTakeOver({ owner: 'sweeper', now: T0, leaseMs: 1_000, limit: 10 });
    const stored = JSON.parse((await kv.get(keyOf(job.id)))?.string() ?? 'null') as JobDocument;
    expect(stored.applied).toEqual({});
    await docsOf(store).mirror.caughtUp(5_000);
    expect([...docsOf(store).documents.owing]).toEqual([]);
  });
});
