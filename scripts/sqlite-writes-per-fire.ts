/**
 * What a one-shot costs SQLite in bytes written to storage, phase by phase:
 * submit N one-shots due in a few seconds (one call), then run them all, in
 * a scheduler on a fresh database file. Bytes are the process's `write_bytes`
 * from `/proc/self/io` (the WAL and the checkpoints into the file): a figure
 * that does not drift with the machine's load.
 *
 *   npx tsx scripts/sqlite-writes-per-fire.ts [oneShots=5000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silent } from '../bench/lib.js';
import { createScheduler, once, sqliteStore } from '../src/index.js';

const N = Number(process.argv[2] ?? 5_000);
const dir = mkdtempSync(join(tmpdir(), 'chime-writes-'));

/** Bytes this process caused to be written to storage so far. */
function writeBytes(): number {
  const line = readFileSync('/proc/self/io', 'utf8').match(/^write_bytes: (\d+)$/m);
  return Number(line?.[1] ?? NaN);
}

const scheduler = createScheduler({
  store: sqliteStore({ path: join(dir, 'chime.db') }),
  logger: silent,
});
let done = 0;
let allDone: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (allDone = resolve));
scheduler.handle('noop', () => {
  if (++done === N) allDone();
});
try {
  await scheduler.start();
  const at = new Date(Date.now() + 3_000);
  const before = writeBytes();
  await scheduler.submitJobs(
    Array.from({ length: N }, (_, i) => ({
      id: `one-${i}`,
      schedule: once(at),
      target: { type: 'handler' as const, name: 'noop' },
    })),
  );
  const submitted = writeBytes();
  await finished;
  await new Promise((resolve) => setTimeout(resolve, 500)); // the last ends' writes
  const ran = writeBytes();
  console.log(
    `one-shots ${N}: bytes written per one-shot: submit ${Math.round((submitted - before) / N)}, run ${Math.round((ran - submitted) / N)}, all ${Math.round((ran - before) / N)}`,
  );
} finally {
  await scheduler.stop();
  rmSync(dir, { recursive: true, force: true });
}
