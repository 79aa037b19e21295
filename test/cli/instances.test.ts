/** `chime instances` against a running service: the live instances of its store. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/files.js';
import { chime, serve, type Served } from './run-cli.js';

const { dir, cleanup } = tempDir('chime-cli-instances-');
let main: Served;
const api = (...argv: string[]) => chime([...argv, '--url', main.url]);

beforeAll(async () => {
  main = await serve([
    '--port',
    '0',
    '--database-url',
    join(dir, 'main.db'),
    '--log-level',
    'silent',
  ]);
});

afterAll(async () => {
  expect(await main?.stop()).toBe(0);
  cleanup();
});

describe('chime instances', () => {
  it('instances prints the live instances of the store as a table, --json a list', async () => {
    const json = await api('instances', '--json');
    expect(json.code, json.stderr).toBe(0);
    const { items } = JSON.parse(json.stdout) as { items: { id: string; pid: number }[] };
    expect(items).toHaveLength(1);
    expect(items[0]?.pid).toBe(process.pid);
    const listed = await api('instances');
    const [header, row] = listed.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'ID',
      'PROCESS',
      'VERSION',
      'STARTED',
      'LAST SEEN',
      'RUNNING',
      'HELD',
    ]);
    expect(row?.startsWith(items[0]?.id ?? '?')).toBe(true);
  });
});
