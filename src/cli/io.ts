import type { RunningService } from '../service/serve.js';

/** Where a command writes, what it reads, and (for `serve`) when it stops: injectable for tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves when `serve` should shut down (default: SIGTERM or SIGINT). */
  stopSignal?: () => Promise<void>;
  /** Told about the running service once `serve` listens (tests). */
  onServing?: (service: RunningService) => void;
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Resolves at the first SIGTERM or SIGINT. */
export function processStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}
