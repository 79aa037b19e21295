/**
 * What a few busy jobs cost on the NATS store when many idle ones are
 * stored: `idle` jobs a day ahead and `busy` jobs every second, in one
 * scheduler on a fresh bucket prefix (removed afterwards); this process's
 * CPU over `seconds` once the busy jobs run, the fires run and the messages
 * the store sent per fire (its own count, `store.usage()`). A store that
 * scans every stored job or kept execution to find what is due costs more
 * with each idle job; one that reads what is due does not.
 *
 *   npx tsx scripts/nats-busy-among-idle.ts [idle=20000] [busy=20] [seconds=20]
 */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { silent } from '../bench/lib.js';
import { createScheduler, every, natsStore, once } from '../src/index.js';

const [IDLE = 20_000, BUSY = 20, SECONDS = 20] = process.argv.slice(2).map(Number);
const URL = process.env['CHIME_BENCH_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const prefix = `chime_busy_${process.pid}`;
const store = natsStore({ servers: URL, prefix });
const scheduler = createScheduler({ store, logger: silent });
let fires = 0;
scheduler.handle('count', () => {
  fires += 1;
});

try {
  await scheduler.start();
  const later = new Date(Date.now() + 86_400_000);
  for (let i = 0; i < IDLE; i += 5_000)
    await scheduler.submitJobs(
      Array.from({ length: Math.min(5_000, IDLE - i) }, (_, k) => ({
        id: `idle-${i + k}`,
        schedule: once(later),
      })),
    );
  await scheduler.submitJobs(
    Array.from({ length: BUSY }, (_, k) => ({
      id: `busy-${k}`,
      schedule: every('1s'),
      target: { type: 'handler' as const, name: 'count' },
    })),
  );
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const [cpu, from, sent] = [process.cpuUsage(), fires, store.usage().statements];
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  const messages = (store.usage().statements - sent) / Math.max(1, fires - from);
  console.log(
    `idle ${IDLE}, busy ${BUSY}: ${fires - from} fires in ${SECONDS} s, CPU ${Math.round(ms)} ms ` +
      `(${((ms / (SECONDS * 1000)) * 100).toFixed(1)} %), ${Math.round((ms * 1000) / Math.max(1, fires - from))} µs a fire, ` +
      `${messages.toFixed(2)} messages a fire`,
  );
} finally {
  await scheduler.stop();
  const nc = await connect({ servers: URL });
  const jsm = await jetstreamManager(nc);
  for await (const name of jsm.streams.names())
    if (name.startsWith(`KV_${prefix}_`)) await jsm.streams.delete(name);
  await nc.close();
}
