/**
 * Step 2 of settling (`settle.ts`) as a group commit: the debts this process
 * applies to one job's document wait while a write of that document is in
 * flight, and the next write applies all that waited (up to a batch). Many
 * ends of one job at once then cost a few compare-and-sets, not one each
 * that fail against each other and are read and tried again.
 */
import { keyOf, type JobDocument, type Work } from './documents.js';
import type { JobDocuments } from './job-documents.js';

/** Executions whose debts one write of a document applies: the ids it names in `applied` keep it small (about 50 bytes each). */
export const SETTLE_BATCH = 32;

interface Waiting {
  work: Work;
  done: (err?: unknown) => void;
}

/** The debts waiting for their job's document, per job. */
export class DebtQueue {
  private readonly waiting = new Map<string, Waiting[]>();

  /**
   * `apply(doc, works, kept)` applies debts to a copy of the document and
   * says whether it changed it; the promise settles once a write holding
   * these works' debts is done.
   */
  constructor(
    private readonly docs: JobDocuments,
    private readonly apply: (doc: JobDocument, works: Work[], kept: number) => boolean,
  ) {}

  /** Applies the debts of `works` (of one job) to its document. */
  async add(jobId: string, works: readonly Work[]): Promise<void> {
    const queue = this.waiting.get(jobId);
    const added = works.map(
      (work) =>
        new Promise<void>((resolve, reject) => {
          const item = { work, done: (err?: unknown) => (err ? reject(err) : resolve()) };
          (queue ?? this.queueOf(jobId)).push(item);
        }),
    );
    if (!queue) void this.drain(jobId);
    await Promise.all(added);
  }

  private queueOf(jobId: string): Waiting[] {
    let queue = this.waiting.get(jobId);
    if (!queue) this.waiting.set(jobId, (queue = []));
    return queue;
  }

  /** Writes the job's document until nothing waits for it. */
  private async drain(jobId: string): Promise<void> {
    for (;;) {
      const queue = this.waiting.get(jobId) ?? [];
      const batch = queue.splice(0, SETTLE_BATCH);
      if (batch.length === 0) {
        this.waiting.delete(jobId);
        return;
      }
      try {
        const works = batch.map((w) => w.work);
        await this.docs.changeDocument(jobId, (doc) => {
          const write = this.apply(doc, works, this.docs.work.kept(keyOf(jobId)));
          return { answer: null, write };
        });
        for (const w of batch) w.done();
      } catch (err) {
        for (const w of batch) w.done(err);
      }
    }
  }
}
