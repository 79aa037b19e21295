/**
 * chime's quickstart: three jobs on the embedded SQLite store, each fire
 * printed as it happens with its lag (start − fire instant).
 *
 *   npm start                         # ./chime.db, until Ctrl-C
 *   tsx examples/quickstart.ts <db> <seconds>
 */
import { createScheduler, cron, every, once, sqliteStore } from '../src/index.js';

const [dbPath = './chime.db', seconds] = process.argv.slice(2);

const scheduler = createScheduler({ store: sqliteStore({ path: dbPath }) });

scheduler.handle('print', (ctx) => {
  const lag = Date.now() - ctx.fireAt.getTime();
  console.log(
    `fire ${ctx.job.id.padEnd(14)} at ${ctx.fireAt.toISOString()}  lag ${lag} ms  attempt ${ctx.attempt}  payload ${JSON.stringify(ctx.payload)}`,
  );
});

await scheduler.start();
const print = { type: 'handler', name: 'print' } as const;
await scheduler.ensureJob({
  id: 'every-2s',
  schedule: every('2s'),
  target: print,
  payload: { kind: 'interval' },
});
await scheduler.ensureJob({
  id: 'cron-5s',
  schedule: cron('*/5 * * * * *'),
  target: print,
  payload: { kind: 'cron' },
});
await scheduler.ensureJob({
  id: 'once-in-3s',
  schedule: once(new Date(Date.now() + 3_000)),
  target: print,
  payload: { kind: 'once' },
});
console.log(
  `chime is running on ${dbPath}: 3 jobs (every 2 s, cron */5 s, once in 3 s). Ctrl-C stops.`,
);

const stop = async () => {
  await scheduler.stop();
  console.log('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
if (seconds) setTimeout(() => void stop(), Number(seconds) * 1_000);
