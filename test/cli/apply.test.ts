/**
 * `chime apply -f <dir>` and `chime jobs clear` against a real `chime serve`
 * process, on SQLite and on Postgres: a directory of 1,000 job files applied
 * to an empty store, applied again (an empty drift report), then with one
 * file changed, one added and one removed under --prune (exactly those three
 * changes, shown by --dry-run with --exit-code first); bad files named with
 * their field and nothing applied; clear refusing without --yes.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { ApplyReport } from '../../src/scheduler/apply.js';
import type { Job } from '../../src/model/job.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import { quoteIdentifier } from '../../src/stores/postgres/identifiers.js';
import { killAll, servingUrl, spawnChime } from '../helpers/chime-process.js';
import { tempDir } from '../helpers/files.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';
import { call } from '../service/harness.js';
import { chime } from './run-cli.js';

const TOKEN = 'apply-test-token-0123456789';
const children: ChildProcess[] = [];
const { dir: root, cleanup } = tempDir('chime-apply-');
const postgresAvailable = await serviceAvailable('postgres');
const schemas: string[] = [];

afterAll(async () => {
  killAll(children);
  cleanup();
  if (schemas.length === 0) return;
  const admin = new pg.Client({ connectionString: SERVICES.postgres.url });
  await admin.connect();
  for (const schema of schemas)
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema, '/schema')} CASCADE`);
  await admin.end();
});

/** Job `i` as a file's content: a daily cron of its own minute, owned by deploy-x. */
function definition(i: number, expr = `${i % 60} ${i % 24} * * *`) {
  return {
    id: `job-${String(i).padStart(4, '0')}`,
    schedule: { kind: 'cron', expr, tz: 'Europe/Berlin' },
    payload: { i },
    metadata: { 'managed-by': 'deploy-x', team: `t${i % 7}` },
  };
}

/** Writes job `i`'s file: YAML for even numbers, JSON for odd ones. */
function writeJob(dir: string, i: number, expr?: string): string {
  const job = definition(i, expr);
  const yaml = i % 2 === 0;
  const file = join(dir, `${job.id}.${yaml ? 'yaml' : 'json'}`);
  writeFileSync(file, yaml ? YAML.stringify(job) : JSON.stringify(job, null, 2));
  return file;
}

async function serveOn(databaseUrl: string): Promise<string> {
  const args = ['serve', '--port', '0', '--database-url', databaseUrl, '--dashboard', 'false'];
  const served = spawnChime(args, children, { CHIME_TOKEN: TOKEN, CHIME_LOG_LEVEL: 'info' });
  return servingUrl(served);
}

const STORES = [
  { name: 'sqlite', available: true, url: () => join(root, 'apply.db') },
  {
    name: 'postgres',
    available: postgresAvailable,
    url: () => {
      const schema = uniqueName('chime_apply_cli');
      schemas.push(schema);
      return `${SERVICES.postgres.url}?schema=${schema}`;
    },
  },
];

for (const store of STORES) {
  describe.skipIf(!store.available)(`chime apply against chime serve on ${store.name}`, () => {
    const dir = join(root, store.name, 'jobs');
    mkdirSync(dir, { recursive: true });
    let url = '';
    const run = (...argv: string[]) => chime([...argv, '--url', url], { CHIME_TOKEN: TOKEN });
    const prune = ['--prune', '--selector', 'managed-by=deploy-x'];
    const count = async () => {
      let total = 0;
      for (let cursor = ''; ;) {
        const page = await call<Page<Job>>(url, 'GET', `/v1/jobs?limit=1000${cursor}`, {
          token: TOKEN,
        });
        total += page.json.items.length;
        if (!page.json.nextCursor) return total;
        cursor = `&cursor=${page.json.nextCursor}`;
      }
    };

    it('1,000 files: created, no drift again, then exactly one change, one addition and one removal', async () => {
      url = await serveOn(store.url());
      for (let i = 0; i < 1_000; i++) writeJob(dir, i);

      const first = await run('apply', '-f', dir, ...prune, '--json');
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const created = JSON.parse(first.stdout) as ApplyReport;
      expect(created.create).toHaveLength(1_000);
      expect(await count()).toBe(1_000);

      const again = await run('apply', '-f', dir, ...prune, '--dry-run', '--exit-code');
      expect(again.code).toBe(0);
      expect(again.stdout).toBe('unchanged: 1000\nno drift\n');

      writeJob(dir, 10, '5 4 * * *');
      writeJob(dir, 1_000);
      rmSync(join(dir, 'job-0500.yaml'));
      const plan = await run('apply', '-f', dir, ...prune, '--dry-run', '--exit-code');
      expect(plan.code).toBe(6);
      expect(plan.stdout).toBe(
        [
          'to create (1):',
          '  + job-1000',
          'to change (1):',
          '  ~ job-0010',
          '      /schedule/expr: "10 10 * * *" → "5 4 * * *"',
          'to remove (1):',
          '  - job-0500',
          'unchanged: 998',
          '',
        ].join('\n'),
      );
      expect(await count()).toBe(1_000);

      const applied = await run('apply', '-f', dir, ...prune, '--json');
      expect(applied.code).toBe(0);
      const report = JSON.parse(applied.stdout) as ApplyReport;
      expect([report.create, report.remove, report.change.map((c) => c.id)]).toEqual([
        ['job-1000'],
        ['job-0500'],
        ['job-0010'],
      ]);
      expect(report.unchanged).toHaveLength(998);
      const job = await call<Job>(url, 'GET', '/v1/jobs/job-0010', { token: TOKEN });
      expect(job.json.schedule).toMatchObject({ expr: '5 4 * * *' });
      expect((await call(url, 'GET', '/v1/jobs/job-0500', { token: TOKEN })).status).toBe(404);
      const settled = await run('apply', '-f', dir, ...prune, '--dry-run', '--exit-code');
      expect([settled.code, settled.stdout]).toEqual([0, 'unchanged: 1000\nno drift\n']);
    });

    it('a bad file is named with its field, and nothing is applied', async () => {
      const bad = join(root, store.name, 'bad');
      mkdirSync(bad, { recursive: true });
      writeJob(bad, 2_000);
      writeFileSync(
        join(bad, 'broken.yaml'),
        YAML.stringify([definition(2_001), { ...definition(2_002), retry: { maxAttempts: 0 } }]),
      );
      const refused = await run('apply', '-f', bad, ...prune);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`${join(bad, 'broken.yaml')}#2: `);
      expect(refused.stderr).toContain('(at /retry/maxAttempts)');
      writeFileSync(join(bad, 'broken.yaml'), 'id: [unclosed');
      const unparsable = await run('apply', '-f', bad);
      expect(unparsable.code).toBe(2);
      expect(unparsable.stderr).toContain('broken.yaml is not valid YAML');
      const stray = join(root, store.name, 'stray');
      mkdirSync(stray, { recursive: true });
      const { metadata: _owned, ...unowned } = definition(3_000);
      writeFileSync(join(stray, 'unowned.json'), JSON.stringify(unowned));
      const warned = await run('apply', '-f', stray, ...prune, '--dry-run');
      expect(warned.code).toBe(0);
      expect(warned.stderr).toBe(
        `chime: warning: ${join(stray, 'unowned.json')} lacks managed-by=deploy-x: once out of the files, --prune will not remove it\n`,
      );
      const noSelector = await run('apply', '-f', dir, '--prune');
      expect(noSelector.code).toBe(2);
      expect(noSelector.stderr).toContain('--prune needs --selector');
      expect(await count()).toBe(1_000);
      expect((await call(url, 'GET', '/v1/jobs/job-2000', { token: TOKEN })).status).toBe(404);
    });

    it('jobs clear lists and refuses without --yes, removes with it', async () => {
      const selector = ['--selector', 'managed-by=deploy-x,team=t3'];
      const refused = await run('jobs', 'clear', ...selector);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toMatch(/^to remove \(142\):\n {2}- job-0003\n/);
      expect(refused.stderr).toContain('run again with --yes');
      expect(refused.stderr).toContain('CHIME_ERR_CONFIRMATION_REQUIRED');
      const dry = await run('jobs', 'clear', ...selector, '--dry-run');
      expect([dry.code, dry.stdout]).toEqual([0, refused.stdout]);
      expect(await count()).toBe(1_000);
      const removed = await run('jobs', 'clear', ...selector, '--yes', '--json');
      expect(removed.code).toBe(0);
      expect(JSON.parse(removed.stdout)).toMatchObject({ dryRun: false });
      expect(await count()).toBe(858);
      const none = await run('jobs', 'clear', ...selector);
      expect([none.code, none.stdout]).toEqual([0, 'to remove (0):\n']);
    });
  });
}
