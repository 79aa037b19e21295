/**
 * The real `chime` binary (`node --import tsx src/cli/main.ts`) in a child
 * process, its JSON log lines collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../service/harness.js';

/** The repository's root (the cwd of spawned processes). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

/** A spawned `chime` process. */
export interface Chime {
  child: ChildProcess;
  /** JSON log lines printed on stdout so far. */
  lines: Record<string, unknown>[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `chime <args>` with a bare environment plus `env`; `children` collects it for cleanup. */
export function spawnChime(
  args: string[],
  children: ChildProcess[],
  env: Record<string, string> = {},
): Chime {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, ...outputOf(child), exited };
}

/** What a child prints, as it prints it: its stdout's JSON lines (others skipped) and its stderr. */
export function outputOf(child: ChildProcess): {
  lines: Record<string, unknown>[];
  stderr(): string;
} {
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      // not a JSON line
    }
  });
  return { lines, stderr: () => stderr };
}

/** The URL a serving process announced (its `chime is serving` log line), loopback for a wildcard bind. */
export async function servingUrl(chime: Chime, timeoutMs = 20_000): Promise<string> {
  const line = await Promise.race([
    waitFor(
      () => chime.lines.find((l) => l['msg'] === 'chime is serving'),
      'chime to serve',
      timeoutMs,
    ),
    chime.exited.then(({ code }) => {
      throw new Error(`chime exited with ${code}: ${chime.stderr()}`);
    }),
  ]);
  return String(line['url']).replace('0.0.0.0', '127.0.0.1');
}

/** SIGKILLs every child still running. */
export function killAll(children: readonly ChildProcess[]): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
