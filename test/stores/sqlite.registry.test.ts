/**
 * What only the SQLite store's registry has: instances sharing a file share a
 * host, so a registered pid that no longer runs is dead at once, without
 * waiting for its silence — and one that runs is not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { until } from '../helpers/events.js';
import { sqliteStores } from './sqlite-fixture.js';

const REGISTRANT = fileURLToPath(new URL('../workers/sqlite-registrant.ts', import.meta.url));
const DEAD_AFTER = 10_000;

describe('sqlite registry', () => {
  const { path: dbPath, openStore } = sqliteStores();
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  /** A store on a fresh file with instance `me` registered, and a child process registering `other`. */
  async function setup() {
    const store = await openStore();
    const now = Date.now();
    const instance = {
      id: 'me',
      host: hostname(),
      pid: process.pid,
      version: 'v',
      startedAt: now,
      capacity: 1,
    };
    await store.instanceRegister({ instance, now, deadBefore: now - DEAD_AFTER });
    const child = spawn(process.execPath, ['--import', 'tsx', REGISTRANT, dbPath(), 'other'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await until(() => out.includes('registered'), 20_000, 'the child registered');
    const beat = () => {
      const at = Date.now();
      return store.instanceBeat({
        id: 'me',
        now: at,
        held: 0,
        running: 0,
        deadBefore: at - DEAD_AFTER,
      });
    };
    return { store, child, beat };
  }

  test('a registered process that was killed is declared dead by the next beat, however recent its sign of life', async () => {
    const { child, beat } = await setup();
    expect((await beat()).live.map((i) => i.id)).toEqual(['me', 'other']);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const result = await beat();
    expect(result.declaredDead).toEqual(['other']);
    expect(result.live.map((i) => i.id)).toEqual(['me']);
  });

  test('a registered process that runs, even stopped (SIGSTOP), is dead only by its silence', async () => {
    const { store, child } = await setup();
    child.kill('SIGSTOP');
    const at = Date.now();
    const soon = await store.instanceBeat({
      id: 'me',
      now: at,
      held: 0,
      running: 0,
      deadBefore: at - DEAD_AFTER,
    });
    expect(soon.declaredDead).toEqual([]);
    const later = at + DEAD_AFTER + 1_000;
    const silent = await store.instanceBeat({
      id: 'me',
      now: later,
      held: 0,
      running: 0,
      deadBefore: later - DEAD_AFTER,
    });
    expect(silent.declaredDead).toEqual(['other']);
    child.kill('SIGCONT');
  });
});
