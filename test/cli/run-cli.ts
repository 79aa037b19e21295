/** Runs the `chime` program in-process, for the CLI tests: one command, or `chime serve` until stopped. */
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import type { RunningService } from '../../src/service/serve.js';

/** What a `chime` run printed, and its exit code. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `chime <argv>` in-process with this environment (nothing of the real one). */
export async function chime(argv: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** A `chime serve` run in-process until `stop()`; `exited` is its exit code. */
export interface Served {
  service: RunningService;
  url: string;
  stop(): Promise<number>;
  output(): string;
}

export async function serve(argv: string[], env: Record<string, string> = {}): Promise<Served> {
  let out = '';
  let release!: () => void;
  const stopSignal = new Promise<void>((resolve) => (release = resolve));
  let announce!: (service: RunningService) => void;
  const serving = new Promise<RunningService>((resolve) => (announce = resolve));
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (out += text) },
    env,
    stopSignal: () => stopSignal,
    onServing: (service) => announce(service),
  };
  const exited = runCli(['serve', ...argv], io);
  const service = await Promise.race([
    serving,
    exited.then((code) => {
      throw new Error(`serve exited with ${code}: ${out}`);
    }),
  ]);
  return {
    service,
    url: service.url,
    stop: async () => {
      release();
      return exited;
    },
    output: () => out,
  };
}
