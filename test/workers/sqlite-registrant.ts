/**
 * A process that registers one instance of its own in a SQLite store's
 * registry, says `registered` on stdout, and waits to be killed: for the
 * tests of the registry's pid evidence. Argument: `<database path> <instance id>`.
 */
import { hostname } from 'node:os';
import { sqliteStore } from '../../src/stores/sqlite/index.js';

const [path = '', id = ''] = process.argv.slice(2);
const store = sqliteStore({ path });
await store.open();
const now = Date.now();
await store.instanceRegister({
  instance: {
    id,
    host: hostname(),
    pid: process.pid,
    version: 'test',
    startedAt: now,
    capacity: 1,
  },
  now,
  deadBefore: now - 10_000,
});
process.stdout.write('registered\n');
setInterval(() => undefined, 60_000);
