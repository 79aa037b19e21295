/**
 * `import 'chime'` loads the library only: no dashboard code, no front-end
 * package, not even the service that serves the dashboard. Checked by
 * importing the library in a fresh Node process that records every module
 * it resolves.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/files.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe("import 'chime'", () => {
  it('loads no dashboard or front-end module', async () => {
    const { dir, cleanup } = tempDir('chime-imports-');
    const record = join(dir, 'imports.txt');
    try {
      const hook = join(root, 'test/dashboard/fixtures/record-imports.mjs');
      const script = `const chime = await import(${JSON.stringify(join(root, 'src/index.ts'))});
        if (typeof chime.createScheduler !== 'function') process.exit(3);`;
      await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', '--import', hook, '--input-type=module', '-e', script],
        { cwd: root, env: { ...process.env, CHIME_RECORD_IMPORTS: record } },
      );
      const urls = readFileSync(record, 'utf8').split('\n').filter(Boolean);
      // The library itself was recorded: the check is not vacuous.
      expect(urls).toContain(`file://${join(root, 'src/scheduler/scheduler.ts')}`);
      expect(urls.length).toBeGreaterThan(50);
      const frontEnd = urls.filter((url) =>
        /\/src\/dashboard\/|\/src\/service\/|\/node_modules\/(preact|preact-iso|@fastify\/static|vite|cronstrue|eventsource-parser)\//.test(
          url,
        ),
      );
      expect(frontEnd).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
