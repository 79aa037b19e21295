/**
 * The parent's side of a worker process (`worker.ts`): it spawns the worker
 * with an IPC channel and turns the worker's messages into promises. A
 * promise of a message rejects when the worker exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig, WorkerStopped } from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface WorkerHandle {
  /** When it said it was ready (epoch ms). */
  ready: Promise<number>;
  stopped: Promise<WorkerStopped>;
  exited: Promise<number | null>;
  /** Submits `count` one-shot jobs `<prefix><i>` due at `at`; resolves with the submit time (ms) and how. */
  submit: (prefix: string, count: number, at: number) => Promise<{ ms: number; via: string }>;
  /** Handler calls and outcomes recorded so far. */
  progress: () => Promise<{ fires: number; succeeded: number }>;
  stop: () => void;
  kill: () => void;
}

/** The next message of `type` from `child` (its listener is removed once it came). */
function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise<T>((resolve) => {
    const listener = (m: { type?: string }) => {
      if (m.type !== type) return;
      child.off('message', listener);
      resolve(m as T);
    };
    child.on('message', listener);
  });
}

export function startWorker(config: WorkerConfig): WorkerHandle {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const failed = exited.then((code) => {
    throw new Error(`worker ${config.instanceId} exited with ${String(code)}`);
  });
  failed.catch(() => undefined);
  const message = <T>(type: string) => Promise.race([nextMessage<T>(child, type), failed]);
  const ask = <T>(command: Record<string, unknown>, answer: string) => {
    const answered = message<T>(answer);
    child.send(command);
    return answered;
  };
  return {
    ready: message<{ at: number }>('ready').then((m) => m.at),
    stopped: message<WorkerStopped>('stopped'),
    exited,
    submit: (prefix, count, at) => ask({ type: 'submit', prefix, count, at }, 'submitted'),
    progress: () => ask({ type: 'progress' }, 'progress'),
    stop: () => child.send({ type: 'stop' }),
    kill: () => child.kill('SIGKILL'),
  };
}
