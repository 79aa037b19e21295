import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers/files.js';

const EXAMPLE = fileURLToPath(new URL('./quickstart.ts', import.meta.url));

describe('examples/quickstart.ts (the README’s first command)', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('prints each fire of its three jobs as it happens, then stops', async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', EXAMPLE, join(tmp.dir, 'chime.db'), '6'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/chime is running on .*chime\.db: 3 jobs/);
    expect(out.match(/^fire every-2s /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(out.match(/^fire cron-5s /gm)?.length).toBeGreaterThanOrEqual(1);
    expect(out.match(/^fire once-in-3s /gm)?.length).toBe(1);
    expect(out).toMatch(/lag \d+ ms {2}attempt 1 {2}payload \{"kind":"interval"\}/);
    expect(out.trim().endsWith('stopped')).toBe(true);
  }, 30_000);
});
