import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs `examples/<name>.ts <args>` to its end: its exit code and what it printed (stdout and stderr). */
export async function runExample(
  name: string,
  args: string[],
): Promise<{ code: number | null; out: string }> {
  const file = fileURLToPath(new URL(`../../examples/${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out };
}
