/**
 * The parent's side of a tick worker process (`tick-worker.ts`): it spawns
 * the worker with an IPC channel and turns the worker's messages into
 * promises. A promise of a message rejects when the worker exits first.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TickWorkerConfig } from './tick-worker.js';

const TICK_WORKER = fileURLToPath(new URL('./tick-worker.js', import.meta.url));

export interface WorkerHandle {
  ready: Promise<number>;
  stopped: Promise<{ fires: number; errors: number; cpuMs: number; windowMs: number }>;
  exited: Promise<number | null>;
  stop: () => void;
  kill: () => void;
}

export function startTickWorker(config: TickWorkerConfig): WorkerHandle {
  const child = spawn(process.execPath, [TICK_WORKER, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const failed = exited.then((code) => {
    throw new Error(`tick worker ${config.instanceId} exited with ${String(code)}`);
  });
  failed.catch(() => undefined);
  const message = <T>(type: string) =>
    Promise.race([
      new Promise<T>((resolve) =>
        child.on('message', (m: { type?: string }) => {
          if (m.type === type) resolve(m as T);
        }),
      ),
      failed,
    ]);
  return {
    ready: message<{ at: number }>('ready').then((m) => m.at),
    stopped: message('stopped'),
    exited,
    stop: () => child.send({ type: 'stop' }),
    kill: () => child.kill('SIGKILL'),
  };
}
