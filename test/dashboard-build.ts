/**
 * Vitest global setup: `npm test` builds what it tests. The dashboard's
 * files (`dist/dashboard`) are built again when its sources, its Vite
 * configuration or the lock file changed since the last build (a hash of
 * them is kept beside the build), so a run never serves a stale dashboard.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist', 'dashboard');
const hashFile = join(outDir, '.source-hash');

/** Every file under `dir`, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

/** The hash of what the build reads. */
function sourceHash(): string {
  const hash = createHash('sha256');
  const inputs = [
    ...filesUnder(join(root, 'src', 'dashboard')),
    join(root, 'vite.dashboard.config.ts'),
    join(root, 'package-lock.json'),
  ];
  for (const file of inputs) hash.update(file.slice(root.length)).update(readFileSync(file));
  return hash.digest('hex');
}

/** Builds the dashboard unless the build on disk is of the current sources. */
export default async function setup(): Promise<void> {
  const hash = sourceHash();
  const built = existsSync(join(outDir, 'index.html')) && existsSync(hashFile);
  if (built && readFileSync(hashFile, 'utf8') === hash) return;
  // The same production build as `npm run build` (vitest has set NODE_ENV to 'test', which
  // would leave development code in the bundle).
  const nodeEnv = process.env['NODE_ENV'];
  process.env['NODE_ENV'] = 'production';
  try {
    await build({
      configFile: join(root, 'vite.dashboard.config.ts'),
      mode: 'production',
      logLevel: 'warn',
    });
  } finally {
    if (nodeEnv === undefined) delete process.env['NODE_ENV'];
    else process.env['NODE_ENV'] = nodeEnv;
  }
  writeFileSync(hashFile, hash);
}
