/**
 * The thread that shows life for the process's NATS stores (`life-keeper.ts`
 * says why): one per process, spawned at the first registration, each store
 * on a channel of its own (`life-line.ts`). It ends a while after the last
 * store's line closed; one that ended otherwise (a crash) is replaced a
 * moment later, and every open line keeps its instances again on the new one.
 */
import { Worker } from 'node:worker_threads';
import { ChimeError, type ErrorCode } from '../../errors.js';
import type { Settings } from './connection.js';
import type { KeptInstance } from './instance-key.js';
import type { Asked, Beat, Written } from './life-keeper.js';

/** A call to the thread, on a store's channel. */
export type Request = { call: number; channel: number } & (
  | { op: 'open'; settings: Settings }
  | { op: 'keep'; record: KeptInstance; revision: number; asked: Asked }
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
export type Call = Request extends infer R ? (R extends Request ? Omit<R, 'call'> : never) : never;

/** A store's line, as the thread knows it: opened again on a new thread. */
export interface Line {
  open(): Promise<void>;
}

/** How long the thread outlives the last line closed (a store opened again meanwhile reuses it). */
const LINGER_MS = 5_000;
/** Pause before a thread that ended under open lines is replaced. */
const RESPAWN_MS = 1_000;

/** The process's thread of signs of life. */
export class LifeThread {
  private readonly worker = spawn();
  private readonly calls = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (err: Error) => void }
  >();
  private next = 0;
  private done = false;

  constructor() {
    this.worker.unref(); // ref'd again while a call waits (an idle thread holds no process up)
    this.worker.on('message', (reply: Reply) => this.answer(reply));
    this.worker.on('error', (err) => void this.end(err));
    this.worker.on('exit', (code) => void this.end(new Error(`it exited with code ${code}`)));
  }

  /** True once the thread ended: its calls fail. */
  get ended(): boolean {
    return this.done;
  }

  /** Sends a call; its answer (an error answered rejects). */
  call(request: Call): Promise<Reply> {
    if (this.done) return Promise.reject(stopped(new Error('it ended')));
    const call = this.next++;
    return new Promise((resolve, reject) => {
      try {
        this.worker.postMessage({ ...request, call });
      } catch (err) {
        reject(stopped(err instanceof Error ? err : new Error(String(err))));
        return;
      }
      if (this.calls.size === 0) this.worker.ref();
      this.calls.set(call, { resolve, reject });
    });
  }

  /** Ends the thread: its calls fail with `err`; open lines are opened again on another. */
  async end(err: Error): Promise<void> {
    if (this.done) return;
    this.done = true;
    for (const { reject } of this.calls.values()) reject(stopped(err));
    this.calls.clear();
    if (shared === this) {
      shared = undefined;
      setTimeout(() => {
        for (const line of lines) line.open().catch(() => undefined);
      }, RESPAWN_MS).unref();
    }
    await this.worker.terminate();
  }

  private answer(reply: Reply): void {
    const waiting = this.calls.get(reply.call);
    this.calls.delete(reply.call);
    if (this.calls.size === 0) this.worker.unref();
    if (reply.error) waiting?.reject(new ChimeError(reply.error.code, reply.error.message));
    else waiting?.resolve(reply);
  }
}

let shared: LifeThread | undefined;
/** The lines open on the thread. */
const lines = new Set<Line>();
let lingering: NodeJS.Timeout | undefined;

/** The process's thread of signs of life for `line`, spawned when there is none. */
export function threadFor(line: Line): LifeThread {
  lines.add(line);
  clearTimeout(lingering);
  shared ??= new LifeThread();
  return shared;
}

/** `line` closed: the thread ends {@link LINGER_MS} after the last one. */
export function lineClosed(line: Line): void {
  if (lines.delete(line) && lines.size === 0)
    lingering = setTimeout(() => void endLifeThread(), LINGER_MS).unref();
}

/**
 * Ends the process's thread of signs of life, as a crash would: every call
 * under way fails, and the open lines are opened again on another a moment later.
 */
export async function endLifeThread(): Promise<void> {
  await shared?.end(new Error('it was ended'));
}

/**
 * Spawns the thread: its compiled module, or from the TypeScript sources
 * (the tests, `tsx`) the source module loaded through tsx, as the process is
 * (tsx resolved from the working directory, the repository's).
 */
function spawn(): Worker {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./life-thread.worker.${source ? 'ts' : 'js'}`, import.meta.url);
  if (!source) return new Worker(entry);
  const [file, parent] = [JSON.stringify(entry.href), JSON.stringify(import.meta.url)];
  const load = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${file}, ${parent}))`;
  return new Worker(load, { eval: true });
}

/** The error of a call the thread cannot answer. */
function stopped(err: Error): ChimeError {
  return new ChimeError(
    'CHIME_ERR_STORE_UNAVAILABLE',
    `the NATS store's thread of signs of life stopped: ${err.message}`,
  );
}
