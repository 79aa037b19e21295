/**
 * The real `chime` binary (`node --import tsx src/cli/main.ts`) in a child
 * process: the public-bind guard, `--handlers`, a graceful SIGTERM that lets
 * a running attempt finish, and the CLI's commands against the live process.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import type { Execution } from '../../src/model/execution.js';
import type { Job } from '../../src/model/job.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import { sqliteStore } from '../../src/stores/sqlite/index.js';
import { killAll, servingUrl, spawnChime as spawnChime_ } from '../helpers/chime-process.js';
import { tempDir } from '../helpers/files.js';
import { call, waitFor } from '../service/harness.js';

const HANDLERS = join('test', 'fixtures', 'handlers.mjs'); // relative: resolved against the cwd
const TOKEN = 'binary-test-token-0123456789';

const children: ChildProcess[] = [];
const spawnChime = (args: string[], env: Record<string, string> = {}) =>
  spawnChime_(args, children, env);

/** Runs a CLI command in-process against the live service. */
async function cli(url: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
  };
  const code = await runCli([...argv, '--url', url, '--token', TOKEN], io);
  return { code, stdout, stderr };
}

const { dir, cleanup } = tempDir('chime-binary-');

afterAll(() => {
  killAll(children);
  cleanup();
});

describe('the chime binary', () => {
  it('serve --host 0.0.0.0 without a token exits non-zero naming --host and --token; with one it serves', async () => {
    const refused = spawnChime([
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--database-url',
      join(dir, 'public.db'),
    ]);
    const { code } = await refused.exited;
    expect(code).toBe(2);
    expect(refused.stderr()).toContain('--host');
    expect(refused.stderr()).toContain('--token');
    expect(refused.stderr()).toContain('CHIME_ERR_CONFIG_INVALID');
    expect(existsSync(join(dir, 'public.db'))).toBe(false);

    const guarded = spawnChime(
      ['serve', '--host', '0.0.0.0', '--port', '0', '--database-url', join(dir, 'public.db')],
      { CHIME_TOKEN: TOKEN },
    );
    const url = await servingUrl(guarded);
    expect((await call(url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(url, 'GET', '/v1/jobs')).status).toBe(401);
    expect((await call(url, 'GET', '/v1/jobs', { token: TOKEN })).status).toBe(200);
    guarded.child.kill('SIGTERM');
    expect(await guarded.exited).toEqual({ code: 0, signal: null });
  });

  it('--handlers registers exported functions; SIGTERM lets a running attempt finish and exits 0; the CLI drives it', async () => {
    const db = join(dir, 'handlers.db');
    const chime = spawnChime([
      'serve',
      '--port',
      '0',
      '--database-url',
      db,
      '--handlers',
      HANDLERS,
      '--token',
      TOKEN,
      '--shutdown-timeout',
      '20s',
    ]);
    const url = await servingUrl(chime);
    const registered = chime.lines.find((l) => l['msg'] === 'handlers registered');
    expect(registered).toMatchObject({ handlers: ['slow', 'touch'], global: false });

    // A handler target fires on its schedule and writes its file.
    const touched = join(dir, 'touched.json');
    writeFileSync(
      join(dir, 'touch.yaml'),
      YAML.stringify({
        id: 'touch-job',
        schedule: { kind: 'once', at: new Date(Date.now() + 500).toISOString() },
        target: { type: 'handler', name: 'touch' },
        payload: { file: touched },
      }),
    );
    const put = await cli(url, 'jobs', 'put', '-f', join(dir, 'touch.yaml'), '--json');
    expect(put.code, put.stderr).toBe(0);
    await waitFor(() => (existsSync(touched) ? true : undefined), 'the touch handler to run');
    const written = JSON.parse(readFileSync(touched, 'utf8')) as {
      executionId: string;
      jobId: string;
    };
    expect(written.jobId).toBe('touch-job');
    const touchRuns = await waitFor(async () => {
      const run = await cli(url, 'executions', 'list', '--job', 'touch-job', '--json');
      const page = JSON.parse(run.stdout) as Page<Execution>;
      return page.items[0]?.status === 'succeeded' ? page.items : undefined;
    }, 'the touch execution to succeed');
    expect(touchRuns.map((e) => e.id)).toEqual([written.executionId]);
    expect(touchRuns[0]?.result).toEqual({ wrote: touched });

    // The jobs commands against the live process.
    const slowJob = {
      id: 'slow-job',
      schedule: { kind: 'cron', expr: '0 0 1 1 *' },
      target: { type: 'handler', name: 'slow' },
    };
    writeFileSync(join(dir, 'slow.json'), JSON.stringify(slowJob));
    expect((await cli(url, 'jobs', 'put', '-f', join(dir, 'slow.json'))).code).toBe(0);
    const list = await cli(url, 'jobs', 'list');
    expect(list.stdout).toMatch(/^slow-job\s+cron 0 0 1 1 \*\s+handler\s/m);
    expect(list.stdout).toMatch(
      /^touch-job\s+once \S+\s+handler\s+-\s+succeeded\s+\S+Z\s+1\/0\/0\/0$/m,
    );
    const got = await cli(url, 'jobs', 'get', 'slow-job', '--json');
    expect(JSON.parse(got.stdout) as Job).toMatchObject(slowJob);
    expect((await cli(url, 'jobs', 'pause', 'slow-job')).code).toBe(0);
    expect((await cli(url, 'jobs', 'resume', 'slow-job')).code).toBe(0);

    // SIGTERM while the slow attempt runs: it finishes, then the process exits 0.
    const started = join(dir, 'slow.started');
    const finished = join(dir, 'slow.finished');
    const trigger = await cli(
      url,
      'jobs',
      'trigger',
      'slow-job',
      '--payload',
      JSON.stringify({ started, file: finished }),
      '--json',
    );
    expect(trigger.code, trigger.stderr).toBe(0);
    const execution = JSON.parse(trigger.stdout) as Execution;
    await waitFor(() => (existsSync(started) ? true : undefined), 'the slow attempt to start');
    // An attempt is marked running once it has run for a second (a quick one writes nothing).
    const startedAt = Number(readFileSync(started, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, startedAt + 1_300 - Date.now()));
    const running = await cli(url, 'executions', 'get', execution.id, '--json');
    expect((JSON.parse(running.stdout) as Execution).status).toBe('running');

    const signalledAt = Date.now();
    chime.child.kill('SIGTERM');
    expect(await chime.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(finished)).toBe(true);
    expect(Number(readFileSync(finished, 'utf8'))).toBeGreaterThan(signalledAt);
    expect(chime.lines.map((l) => l['msg'])).toContain('stopped');

    // The SQLite file says the execution succeeded.
    const store = sqliteStore({ path: db });
    await store.open();
    try {
      const record = await store.executionGet({ id: execution.id });
      expect(record).toMatchObject({ status: 'succeeded', attempt: 1, result: { slept: 3000 } });
    } finally {
      await store.close();
    }
    // And the CLI now finds nothing there.
    const gone = await cli(url, 'jobs', 'list');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('CHIME_ERR_SERVICE_UNREACHABLE');
  });

  it('--handlers naming a module that cannot load exits non-zero with the reason', async () => {
    const chime = spawnChime([
      'serve',
      '--port',
      '0',
      '--database-url',
      join(dir, 'nohandlers.db'),
      '--handlers',
      'test/fixtures/does-not-exist.mjs',
    ]);
    const { code } = await chime.exited;
    expect(code).toBe(2);
    expect(chime.stderr()).toContain('--handlers');
    expect(chime.stderr()).toContain('CHIME_ERR_CONFIG_INVALID');
  });
});
