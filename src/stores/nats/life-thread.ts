/**
 * The thread that shows life for the process's NATS stores: one per process,
 * spawned at the first registration, each store on a channel of its own with
 * its own connection (`life-keeper.ts` says why). The main thread's side: a
 * {@link LifeLine} per store, whose calls are messages to the thread. A
 * thread that ended (an error) is replaced at the next call, and each line
 * then keeps its instances again on the new one.
 */
import { Worker } from 'node:worker_threads';
import { ChimeError, type ErrorCode } from '../../errors.js';
import type { InstanceBeat, InstanceRecord } from '../instances.js';
import type { Settings } from './connection.js';
import type { Asked, Beat, Written } from './life-keeper.js';

/** A call to the thread, on a store's channel. */
export type Request = { call: number; channel: number } & (
  | { op: 'open'; settings: Settings }
  | { op: 'keep'; record: InstanceRecord; revision: number; asked: Asked }
  | { op: 'beat'; beat: Beat }
  | { op: 'release'; id: string }
  | { op: 'close' }
);

/**
 * The thread's answer to a call: a key written (`beat`), nothing, or the
 * error; and the messages the channel's connection has sent so far.
 */
export interface Reply {
  call: number;
  value?: Written;
  sent?: number;
  error?: { code: ErrorCode; message: string };
}

/** A call without its number (the thread's {@link LifeThread.call} numbers it). */
type Call = Request extends infer R ? (R extends Request ? Omit<R, 'call'> : never) : never;

/** The process's thread of signs of life. */
class LifeThread {
  private readonly worker = spawn();
  private readonly calls = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (err: Error) => void }
  >();
  private next = 0;
  /** Set when the thread ended: calls fail, and {@link lifeThread} spawns another. */
  ended = false;

  constructor() {
    this.worker.unref(); // ref'd again while a call waits (an idle thread holds no process up)
    this.worker.on('message', (reply: Reply) => this.answer(reply));
    this.worker.on('error', (err) => void this.end(err));
    this.worker.on('exit', (code) => void this.end(new Error(`it exited with code ${code}`)));
  }

  /** Sends a call; its answer (an error answered rejects). */
  call(request: Call): Promise<Reply> {
    if (this.ended) return Promise.reject(stopped(new Error('it ended')));
    const call = this.next++;
    if (this.calls.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.calls.set(call, { resolve, reject });
      this.worker.postMessage({ ...request, call });
    });
  }

  private answer(reply: Reply): void {
    const waiting = this.calls.get(reply.call);
    this.calls.delete(reply.call);
    if (this.calls.size === 0) this.worker.unref();
    if (reply.error) waiting?.reject(new ChimeError(reply.error.code, reply.error.message));
    else waiting?.resolve(reply);
  }

  /** Ends the thread: its calls fail with `err`. */
  async end(err: Error): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const { reject } of this.calls.values()) reject(stopped(err));
    this.calls.clear();
    await this.worker.terminate();
  }
}

/** How long the thread outlives the last store's line closed (a store opened again meanwhile reuses it). */
const LINGER_MS = 5_000;

let shared: LifeThread | undefined;
/** The lines open on the thread. */
const lines = new Set<LifeLine>();
let lingering: NodeJS.Timeout | undefined;

/** The process's thread of signs of life, spawned when there is none (or it ended). */
function lifeThread(): LifeThread {
  if (!shared || shared.ended) shared = new LifeThread();
  return shared;
}

/**
 * Ends the process's thread of signs of life: every call under way fails,
 * and each store's line spawns another at its next call. Done
 * {@link LINGER_MS} after the last line closed.
 */
export async function endLifeThread(): Promise<void> {
  const thread = shared;
  shared = undefined;
  await thread?.end(new Error('it was ended'));
}

/**
 * Spawns the thread: its compiled module, or from the TypeScript sources
 * (the tests, `tsx`) the source module loaded through tsx, as the process is.
 */
function spawn(): Worker {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./life-thread.worker.${source ? 'ts' : 'js'}`, import.meta.url);
  if (!source) return new Worker(entry);
  const [file, parent] = [JSON.stringify(entry.href), JSON.stringify(import.meta.url)];
  const load = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${file}, ${parent}))`;
  return new Worker(load, { eval: true });
}

function stopped(err: Error): ChimeError {
  return new ChimeError(
    'CHIME_ERR_STORE_UNAVAILABLE',
    `the NATS store's thread of signs of life stopped: ${err.message}`,
  );
}

let channels = 0;

/** A store's line to the thread of signs of life (see the module comment). */
export class LifeLine {
  private channel = channels++;
  private thread: LifeThread | undefined;
  private opening: Promise<void> | undefined;
  /** The instances kept, as last written: kept again on a new thread. */
  private readonly kept = new Map<
    string,
    { record: InstanceRecord; revision: number; asked: Asked }
  >();

  /** Messages this store's connection on the thread has sent, as of its last answer. */
  sent = 0;

  constructor(private readonly settings: Settings) {}

  /** Opens this store's channel (its connection) on the thread, spawning the thread first if needed. */
  async open(): Promise<void> {
    await this.ready();
  }

  private async ready(): Promise<LifeThread> {
    lines.add(this);
    clearTimeout(lingering);
    const thread = lifeThread();
    if (this.thread !== thread || !this.opening) {
      this.thread = thread;
      this.channel = channels++;
      const opening = this.reopen(thread);
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined;
      });
      this.opening = opening;
    }
    await this.opening;
    return thread;
  }

  /** Keeps an instance, registered at `now` with its key at `revision`, alive. */
  async keep(
    record: InstanceRecord,
    revision: number,
    { now, deadBefore }: { now: number; deadBefore: number },
  ): Promise<void> {
    const thread = await this.ready();
    const kept = { record, revision, asked: askedAt(now, deadBefore) };
    this.kept.set(record.id, kept);
    await this.send(thread, { channel: this.channel, op: 'keep', ...kept });
  }

  /** A sign of life of an instance kept: its key written, or null when it is no longer registered. */
  async beat({ id, now, held, running, deadBefore }: InstanceBeat): Promise<Written> {
    const thread = await this.ready();
    const asked = askedAt(now, deadBefore);
    const beat: Beat = { id, held, running, ...asked };
    const written = (await this.send(thread, { channel: this.channel, op: 'beat', beat })) ?? null;
    if (written) this.kept.set(id, { ...written, asked });
    else this.kept.delete(id);
    return written;
  }

  /** Stops keeping an instance alive; resolves once no sign of life of its is under way. */
  async release(id: string): Promise<void> {
    if (!this.kept.delete(id) || !this.thread || this.thread.ended) return;
    await this.send(this.thread, { channel: this.channel, op: 'release', id });
  }

  /** Closes this store's channel; the thread ends a while after its last line closed. */
  async close(): Promise<void> {
    const { thread, opening } = this;
    this.kept.clear();
    this.thread = undefined;
    this.opening = undefined;
    if (lines.delete(this) && lines.size === 0)
      lingering = setTimeout(() => void endLifeThread(), LINGER_MS).unref();
    const opened = await opening?.then(
      () => true,
      () => false,
    );
    if (!thread || thread.ended || !opened) return;
    await this.send(thread, { channel: this.channel, op: 'close' }).catch(() => undefined);
  }

  private async reopen(thread: LifeThread): Promise<void> {
    const { channel, settings } = this;
    this.sent = 0;
    await this.send(thread, { channel, op: 'open', settings });
    for (const kept of this.kept.values())
      await this.send(thread, { channel, op: 'keep', ...kept });
  }

  private async send(thread: LifeThread, call: Call): Promise<Written | undefined> {
    const reply = await thread.call(call);
    if (reply.sent !== undefined && call.channel === this.channel) this.sent = reply.sent;
    return reply.value;
  }
}

/** A sign of life of the main thread, now. */
function askedAt(now: number, deadBefore: number): Asked {
  return { now, at: Date.now(), deadAfterMs: now - deadBefore };
}
