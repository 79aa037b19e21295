/**
 * The `chime` commands in-process through `runCli(argv, io)`, stdout and
 * stderr captured: serve, jobs, executions, config, migrate, next, help, and
 * the exit codes scripts rely on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { MIN_TOKEN_LENGTH, OPTIONS } from '../../src/config/options.js';
import { MIGRATIONS } from '../../src/stores/sqlite/migrations.js';
import type { Execution } from '../../src/model/execution.js';
import type { Job } from '../../src/model/job.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import { tempDir } from '../helpers/files.js';
import { call, closedPort, waitFor } from '../service/harness.js';
import { chime, serve, type Served } from './run-cli.js';

const { dir, cleanup } = tempDir('chime-cli-');
const TOKEN = 'cli-commands-token-0123456789';
let main: Served;
let guarded: Served;
let url: string;
const api = (...argv: string[]) => chime([...argv, '--url', url]);

const jobJson = {
  id: 'cli-json',
  schedule: { kind: 'cron', expr: '0 3 * * *', tz: 'Europe/Berlin' },
  target: { type: 'handler', name: 'record' },
  metadata: { team: 'cli' },
  payload: { from: 'file' },
};

beforeAll(async () => {
  main = await serve([
    '--port',
    '0',
    '--database-url',
    join(dir, 'main.db'),
    '--log-level',
    'silent',
  ]);
  url = main.url;
  main.service.scheduler.handle('record', async (ctx) => ({ got: ctx.payload }));
  guarded = await serve([
    '--port',
    '0',
    '--database-url',
    join(dir, 'guarded.db'),
    '--log-level',
    'silent',
    '--token',
    TOKEN,
  ]);
  writeFileSync(join(dir, 'job.json'), JSON.stringify(jobJson));
  writeFileSync(
    join(dir, 'job.yaml'),
    [
      'id: cli-yaml',
      'schedule:',
      '  kind: interval',
      '  every: 1h',
      'target:',
      '  type: handler',
      '  name: record',
      'metadata:',
      '  team: cli',
      '  format: yaml',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'bad.json'),
    JSON.stringify({ id: 'cli-bad', schedule: { kind: 'cron', expr: '61 * * * *' } }),
  );
  writeFileSync(join(dir, 'broken.json'), '{"id": ');
  writeFileSync(join(dir, 'no-id.json'), JSON.stringify({ schedule: jobJson.schedule }));
});

afterAll(async () => {
  expect(await main?.stop()).toBe(0);
  expect(await guarded?.stop()).toBe(0);
  cleanup();
});

describe('chime serve', () => {
  it('tells onServing its URL, serves the API, and exits 0 when stopSignal resolves', async () => {
    const own = await serve(['--port', '0', '--database-url', join(dir, 'own.db')]);
    expect(own.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(own.url, 'GET', '/healthz')).status).toBe(200);
    expect(own.output()).toContain('"msg":"chime is serving"');
    expect(await own.stop()).toBe(0);
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
    expect(own.output()).toContain('"msg":"stopped"');
  });

  it('refuses a public bind without a token (exit 2, naming --host and --token)', async () => {
    for (const [argv, env] of [
      [['serve', '--host', '0.0.0.0', '--port', '0'], {}],
      [['serve', '--port', '0'], { CHIME_HOST: '0.0.0.0' }],
      [['serve', '--host', '::', '--port', '0', '--token', 'short'], {}],
    ] as const) {
      const run = await chime([...argv, '--database-url', join(dir, 'public.db')], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--host|--token/);
      expect(run.stderr).toContain('CHIME_ERR_CONFIG_INVALID');
    }
    const open = await chime(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(open.stderr).toContain('--host');
    expect(open.stderr).toContain('--token');
  });

  it('names the flag of an option the scheduler refuses (exit 2)', async () => {
    for (const [flag, value, env, message] of [
      ['--max-concurrent-jobs', '0', 'CHIME_MAX_CONCURRENT_JOBS', 'must be >= 1'],
      ['--max-job-lock-time', '1ms', 'CHIME_MAX_JOB_LOCK_TIME', 'must be >= 100 ms'],
      ['--http-target-allow', 'a/b', 'CHIME_HTTP_TARGET_ALLOW', '"a/b"'],
    ] as const) {
      const run = await chime([
        'serve',
        flag,
        value,
        '--port',
        '0',
        '--database-url',
        join(dir, 'bounds.db'),
      ]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`option ${flag} (${env}): `);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('CHIME_ERR_CONFIG_INVALID');
    }
  });

  it('--migrate=false on a fresh SQLite file fails with CHIME_ERR_STORE_SCHEMA_OUTDATED; after chime migrate it starts', async () => {
    const db = join(dir, 'unmigrated.db');
    const run = await chime(['serve', '--migrate=false', '--port', '0', '--database-url', db]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CHIME_ERR_STORE_SCHEMA_OUTDATED');
    expect(run.stderr).toContain('chime migrate');
    const viaEnv = await chime(['serve', '--port', '0'], {
      CHIME_MIGRATE: 'false',
      CHIME_DATABASE_URL: db,
    });
    expect(viaEnv.stderr).toContain('CHIME_ERR_STORE_SCHEMA_OUTDATED');

    expect((await chime(['migrate', '--database-url', db])).code).toBe(0);
    const started = await serve(['--migrate', 'false', '--port', '0', '--database-url', db]);
    expect((await call(started.url, 'GET', '/readyz')).status).toBe(200);
    expect(await started.stop()).toBe(0);
  });
});

describe('chime jobs and executions', () => {
  it('jobs put -f job.json and -f job.yaml create (idempotently) and print the job', async () => {
    const put = await api('jobs', 'put', '-f', join(dir, 'job.json'));
    expect(put.code, put.stderr).toBe(0);
    expect(YAML.parse(put.stdout)).toMatchObject({ ...jobJson, version: 1, paused: false });
    const again = await api('jobs', 'put', '-f', join(dir, 'job.json'), '--json');
    expect((JSON.parse(again.stdout) as Job).version).toBe(1);

    const yaml = await api('jobs', 'put', '-f', join(dir, 'job.yaml'), '--json');
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(JSON.parse(yaml.stdout)).toMatchObject({
      id: 'cli-yaml',
      schedule: { kind: 'interval', every: '1h' },
      metadata: { team: 'cli', format: 'yaml' },
    });
    // --id names a job whose file has none.
    const named = await api('jobs', 'put', '-f', join(dir, 'no-id.json'), '--id', 'cli-named');
    expect(named.code, named.stderr).toBe(0);
    expect(YAML.parse(named.stdout)).toMatchObject({ id: 'cli-named' });
    expect((await api('jobs', 'rm', 'cli-named')).code).toBe(0);
  });

  it('jobs put -f takes the overlap policies; another is refused at /overlap (exit 2)', async () => {
    const file = join(dir, 'overlap.yaml');
    const write = (overlap: string) =>
      writeFileSync(
        file,
        `id: cli-overlap\nschedule: { kind: interval, every: 1h }\noverlap: ${overlap}\n`,
      );
    for (const overlap of ['replace', 'buffer_one']) {
      write(overlap);
      const put = await api('jobs', 'put', '-f', file, '--json');
      expect(put.code, put.stderr).toBe(0);
      expect(JSON.parse(put.stdout)).toMatchObject({ id: 'cli-overlap', overlap });
    }
    write('queue');
    const bad = await api('jobs', 'put', '-f', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('/overlap');
    expect((await api('jobs', 'rm', 'cli-overlap')).code).toBe(0);
  });

  it('jobs list prints a table, --json a page; filters apply', async () => {
    const table = await api('jobs', 'list');
    expect(table.code, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'ID',
      'SCHEDULE',
      'TARGET',
      'NEXT FIRE',
      'LAST',
      'LAST SUCCESS',
      'OK/FAIL/MISS/SKIP',
      'STALE',
    ]);
    expect(rows.find((r) => r.startsWith('cli-json '))).toMatch(
      /^cli-json\s+cron 0 3 \* \* \* Europe\/Berlin\s+handler\s+\d{4}-\d\d-\d\dT\S+Z\s+-\s+-\s+0\/0\/0\/0$/,
    );
    expect(rows.find((r) => r.startsWith('cli-yaml '))).toMatch(/every 1h/);

    const json = await api('jobs', 'list', '--json');
    const page = JSON.parse(json.stdout) as Page<Job>;
    expect(page.items.map((j) => j.id)).toEqual(['cli-json', 'cli-yaml']);
    const filtered = await api('jobs', 'list', '--metadata', 'format=yaml', '--json');
    expect((JSON.parse(filtered.stdout) as Page<Job>).items.map((j) => j.id)).toEqual(['cli-yaml']);
    const paged = await api('jobs', 'list', '--limit', '1');
    expect(paged.stdout).toMatch(/^more: --cursor \S+$/m);
    const cursor = /--cursor (\S+)/.exec(paged.stdout)?.[1] ?? '';
    const next = await api('jobs', 'list', '--limit', '1', '--cursor', cursor, '--json');
    expect((JSON.parse(next.stdout) as Page<Job>).items.map((j) => j.id)).toEqual(['cli-yaml']);
  });

  it('jobs get prints YAML, --json JSON', async () => {
    const yaml = await api('jobs', 'get', 'cli-json');
    expect(yaml.code).toBe(0);
    expect(YAML.parse(yaml.stdout)).toMatchObject(jobJson);
    const json = await api('jobs', 'get', 'cli-json', '--json');
    expect(JSON.parse(json.stdout)).toEqual(YAML.parse(yaml.stdout));
  });

  it('jobs pause, resume and trigger --payload; executions list [--job] and get', async () => {
    const paused = await api('jobs', 'pause', 'cli-json', '--json');
    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ paused: true, nextFireAt: null });
    const listed = await api('jobs', 'list');
    expect(listed.stdout).toMatch(/^cli-json\s.*\spaused\s/m);
    const resumed = await api('jobs', 'resume', 'cli-json');
    expect(YAML.parse(resumed.stdout)).toMatchObject({ paused: false });

    const triggered = await api('jobs', 'trigger', 'cli-json', '--payload', '{"n":1}', '--json');
    expect(triggered.code, triggered.stderr).toBe(0);
    const execution = JSON.parse(triggered.stdout) as Execution;
    expect(execution).toMatchObject({ jobId: 'cli-json', trigger: 'manual', payload: { n: 1 } });

    const done = await waitFor(async () => {
      const run = await api('executions', 'get', execution.id, '--json');
      const current = JSON.parse(run.stdout) as Execution;
      return current.status === 'succeeded' ? current : undefined;
    }, 'the triggered execution to succeed');
    expect(done.result).toEqual({ got: { n: 1 } });
    const yaml = await api('executions', 'get', execution.id);
    expect(YAML.parse(yaml.stdout)).toMatchObject({ id: execution.id, status: 'succeeded' });

    const table = await api('executions', 'list');
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'ID',
      'JOB',
      'FIRE AT',
      'STATUS',
      'ATTEMPT',
      'ERROR OR REASON',
    ]);
    expect(rows.some((r) => r.startsWith(execution.id) && /\ssucceeded\s+1$/.test(r))).toBe(true);
    const byJob = await api('executions', 'list', '--job', 'cli-json', '--json');
    const page = JSON.parse(byJob.stdout) as Page<Execution>;
    expect(page.items.map((e) => e.id)).toContain(execution.id);
    expect(page.items.every((e) => e.jobId === 'cli-json')).toBe(true);
    const none = await api(
      'executions',
      'list',
      '--job',
      'cli-json',
      '--status',
      'failed',
      '--json',
    );
    expect(JSON.parse(none.stdout)).toEqual({ items: [], nextCursor: null });
  });

  it('jobs backfill --dry-run lists the fires, jobs backfill adds them, a second adds none', async () => {
    const window = ['--from', '2026-03-27T00:00:00Z', '--to', '2026-03-30T00:00:00Z'];
    const dry = await api('jobs', 'backfill', 'cli-json', ...window, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    const fires = [
      '2026-03-27T02:00:00.000Z',
      '2026-03-28T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
    ];
    expect(dry.stdout).toBe(`would add 3 fire(s); 0 already in the ledger\n${fires.join('\n')}\n`);
    const real = await api('jobs', 'backfill', 'cli-json', ...window, '--json');
    expect(JSON.parse(real.stdout)).toEqual({
      jobId: 'cli-json',
      dryRun: false,
      fires,
      existing: [],
    });
    const again = await api('jobs', 'backfill', 'cli-json', ...window);
    expect(again.stdout).toBe('added 0 fire(s); 3 already in the ledger\n');
    const future = await api(
      'jobs',
      'backfill',
      'cli-json',
      '--from',
      '2026-03-27T00:00:00Z',
      '--to',
      '2999-01-01T00:00:00Z',
    );
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('CHIME_ERR_INVALID_INPUT');
  });

  it('jobs rm deletes a job; it is then not found (exit 3)', async () => {
    const rm = await api('jobs', 'rm', 'cli-yaml');
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe('deleted cli-yaml\n');
    const get = await api('jobs', 'get', 'cli-yaml');
    expect(get.code).toBe(3);
    expect(get.stderr).toContain('CHIME_ERR_JOB_NOT_FOUND');
    expect((await api('jobs', 'rm', 'cli-yaml')).code).toBe(3);
  });
});

describe('exit codes', () => {
  it('2 for bad input or usage', async () => {
    const cases: [string[], RegExp][] = [
      [['jobs', 'put', '-f', join(dir, 'bad.json')], /CHIME_ERR_SCHEDULE_CRON_INVALID/],
      [['jobs', 'put', '-f', join(dir, 'broken.json')], /CHIME_ERR_INVALID_JSON/],
      [['jobs', 'put', '-f', join(dir, 'missing.json')], /CHIME_ERR_INVALID_INPUT/],
      [['jobs', 'put', '-f', join(dir, 'no-id.json')], /CHIME_ERR_MISSING_FIELD/],
      [['jobs', 'put'], /required option/],
      [['jobs', 'trigger', 'cli-json', '--payload', '{nope'], /CHIME_ERR_INVALID_JSON/],
      [['jobs', 'list', '--limit', '0'], /CHIME_ERR_INVALID_INPUT/],
      [['jobs', 'list', '--metadata', 'novalue'], /CHIME_ERR_INVALID_INPUT/],
      [['executions', 'list', '--status', 'done'], /CHIME_ERR_INVALID_INPUT/],
      [['jobs', 'frobnicate'], /unknown command/],
      [['jobs', 'get'], /missing required argument/],
      [['jobs', 'list', '--bogus'], /unknown option/],
    ];
    for (const [argv, message] of cases) {
      const run = await api(...argv);
      expect(run.code, `${argv.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect((await chime(['frobnicate'])).code).toBe(2);
    expect((await chime(['next', '61 * * * *'])).code).toBe(2);
    expect((await chime(['config', '--port', 'abc'])).code).toBe(2);
    const noPool = await chime(['config', '--postgres-pool-size', '0']);
    expect(noPool.code).toBe(2);
    expect(noPool.stderr).toContain('--postgres-pool-size (CHIME_POSTGRES_POOL_SIZE)');
  });

  it('3 for not found', async () => {
    for (const argv of [
      ['jobs', 'get', 'nope'],
      ['jobs', 'pause', 'nope'],
      ['jobs', 'resume', 'nope'],
      ['jobs', 'trigger', 'nope'],
      ['jobs', 'rm', 'nope'],
      ['executions', 'get', '01900000-0000-7000-8000-000000000000'],
      ['executions', 'list', '--job', 'nope'],
    ]) {
      const run = await api(...argv);
      expect(run.code, argv.join(' ')).toBe(3);
      expect(run.stderr).toMatch(/CHIME_ERR_(JOB|EXECUTION)_NOT_FOUND/);
    }
  });

  it('4 for a conflict: jobs put --create on a taken id', async () => {
    const run = await api('jobs', 'put', '--create', '-f', join(dir, 'job.json'));
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('CHIME_ERR_JOB_EXISTS');
    const fresh = await api(
      'jobs',
      'put',
      '--create',
      '-f',
      join(dir, 'job.json'),
      '--id',
      'cli-new',
    );
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(YAML.parse(fresh.stdout)).toMatchObject({ id: 'cli-new', version: 1 });
  });

  it('5 for a missing or wrong token; --token and CHIME_TOKEN authenticate', async () => {
    const missing = await chime(['jobs', 'list', '--url', guarded.url]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('CHIME_ERR_UNAUTHORIZED');
    const wrong = await chime([
      'jobs',
      'list',
      '--url',
      guarded.url,
      '--token',
      'wrong-token-wrong',
    ]);
    expect(wrong.code).toBe(5);
    expect((await chime(['jobs', 'list', '--url', guarded.url, '--token', TOKEN])).code).toBe(0);
    const env = await chime(['jobs', 'list', '--json'], {
      CHIME_URL: guarded.url,
      CHIME_TOKEN: TOKEN,
    });
    expect(env.code, env.stderr).toBe(0);
    expect(JSON.parse(env.stdout)).toEqual({ items: [], nextCursor: null });
    // The flag wins over the variable.
    const flag = await chime(['jobs', 'list', '--token', 'wrong-token-wrong'], {
      CHIME_URL: guarded.url,
      CHIME_TOKEN: TOKEN,
    });
    expect(flag.code).toBe(5);
  });

  it('1 when the service is unreachable', async () => {
    const port = await closedPort();
    const run = await chime(['jobs', 'list', '--url', `http://127.0.0.1:${port}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CHIME_ERR_SERVICE_UNREACHABLE');
    expect(run.stderr).toContain(`127.0.0.1:${port}`);
  });
});

describe('chime config', () => {
  const rowsOf = async (argv: string[], env: Record<string, string> = {}) => {
    const run = await chime(['config', '--json', ...argv], env);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as {
      option: string;
      env: string;
      value: string;
      source: string;
    }[];
  };

  it('prints every option with its variable, value and source', async () => {
    const run = await chime(['config']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual(['OPTION', 'ENV', 'VALUE', 'SOURCE']);
    expect(lines).toHaveLength(OPTIONS.length + 1);
    for (const spec of OPTIONS) {
      const line = lines.find((l) => l.startsWith(`--${spec.name} `));
      expect(line, spec.name).toBeDefined();
      expect(line).toContain(spec.env);
      const source = 'default' in spec ? 'default' : 'unset';
      expect(line).toMatch(new RegExp(`\\s${source}$`));
      if ('default' in spec) expect(line).toContain(` ${spec.default} `);
    }
    const rows = await rowsOf([]);
    expect(rows.map((r) => [r.option, r.env])).toEqual(OPTIONS.map((o) => [`--${o.name}`, o.env]));
  });

  it('a flag wins over the environment, the environment over the default', async () => {
    const port = (rows: { option: string; value: string; source: string }[]) =>
      rows.find((r) => r.option === '--port');
    expect(port(await rowsOf([]))).toMatchObject({ value: '8000', source: 'default' });
    expect(port(await rowsOf([], { CHIME_PORT: '9001' }))).toMatchObject({
      value: '9001',
      source: 'env',
    });
    expect(port(await rowsOf(['--port', '9002'], { CHIME_PORT: '9001' }))).toMatchObject({
      value: '9002',
      source: 'flag',
    });
    const table = await chime(['config', '--port', '9002'], { CHIME_PORT: '9001' });
    expect(table.stdout).toMatch(/^--port\s+CHIME_PORT\s+9002\s+flag$/m);

    const rows = await rowsOf(['--allow-shell'], {
      CHIME_LOG_LEVEL: 'debug',
      CHIME_ALLOW_SHELL: 'false',
    });
    expect(rows.find((r) => r.option === '--log-level')).toMatchObject({
      value: 'debug',
      source: 'env',
    });
    expect(rows.find((r) => r.option === '--allow-shell')).toMatchObject({
      value: 'true',
      source: 'flag',
    });
  });

  it('a token read from CHIME_TOKEN_FILE comes from the environment, redacted', async () => {
    const file = join(dir, 'token.txt');
    writeFileSync(file, 'from-a-file-0123456789\n');
    const rows = await rowsOf([], { CHIME_TOKEN_FILE: file });
    expect(rows.find((r) => r.option === '--token')).toMatchObject({
      value: '[redacted]',
      source: 'env',
    });
    expect(JSON.stringify(rows)).not.toContain('from-a-file');
    const both = await chime(['config', '--token', 'x'.repeat(20), '--token-file', file]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--token-file');
  });
});

describe('chime migrate, next, help', () => {
  it('migrate applies the migrations of a fresh SQLite file, then has nothing to do', async () => {
    const db = join(dir, 'migrate.db');
    const first = await chime(['migrate', '--database-url', db]);
    expect(first.code, first.stderr).toBe(0);
    const versions = MIGRATIONS.map((m) => m.version).join(', ');
    expect(first.stdout).toBe(`applied migration(s) ${versions}\n`);
    const second = await chime(['migrate'], { CHIME_DATABASE_URL: db });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/up to date/);
  });

  it('next previews fire times', async () => {
    const run = await chime([
      'next',
      '30 2 * * *',
      '--tz',
      'Europe/Berlin',
      '--count',
      '2',
      '--from',
      '2026-03-28T12:00:00Z',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(
      /^2026-03-29T01:00:00.000Z {2}2026-03-29T03:00:00\+02:00 {2}DST: /,
    );
  });

  it('chime --help and chime serve --help list every option and its variable', async () => {
    const top = await chime(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['serve', 'migrate', 'config', 'next', 'jobs', 'executions'])
      expect(top.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    const serveHelp = await chime(['serve', '--help']);
    expect(serveHelp.code).toBe(0);
    for (const spec of OPTIONS) {
      expect(top.stdout).toMatch(new RegExp(`^  --${spec.name}\\s+${spec.env}\\b`, 'm'));
      expect(serveHelp.stdout).toContain(`--${spec.name}`);
      expect(serveHelp.stdout.replace(/\s+/g, ' ')).toContain(spec.env);
    }
    expect(serveHelp.stdout.replace(/\s+/g, ' ')).toMatch(
      new RegExp(`--token <token>.*at least ${MIN_TOKEN_LENGTH} characters`),
    );
    expect(top.stdout).toMatch(/Exit codes: 0 success, 2 bad input/);
    const jobsHelp = await chime(['jobs', 'put', '--help']);
    expect(jobsHelp.stdout).toContain('--create');
  });
});
