import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('./signed-webhooks.ts', import.meta.url));

describe('examples/signed-webhooks.ts (the README’s receiver)', () => {
  it('refuses the forged request, verifies each signed call of the job, then stops', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', EXAMPLE, '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^receiver on http:\/\/127\.0\.0\.1:\d+\/hooks\/chime$/);
    expect(lines[1]).toBe('refused: No matching signature found');
    expect(lines.slice(2, 4)).toEqual([
      expect.stringMatching(/^verified \S+: \{"ping":true\}$/),
      expect.stringMatching(/^verified \S+: \{"ping":true\}$/),
    ]);
    expect(lines.slice(4)).toEqual(['stopped']);
  }, 30_000);
});
