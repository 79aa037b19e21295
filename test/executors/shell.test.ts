import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  memoryStore,
  once,
  PermanentError,
  type ExecutionContext,
  type Job,
  type JobDefinition,
  type Scheduler,
} from '../../src/index.js';
import {
  shellExecutor,
  ShellTargetSchema,
  type ShellTarget,
} from '../../src/executors/shell/index.js';
import { REDACTED, redactSecrets } from '../../src/model/secrets.js';
import { waitFor } from '../helpers/events.js';
import { tempDir } from '../helpers/files.js';
import { silent } from '../helpers/scheduler.js';
import { refusesBadTargets, type BadTarget } from '../helpers/bad-targets.js';

const NODE = process.execPath;

/** A target running `node -e script ...args`. */
function node(script: string, args: string[] = [], fields: Partial<ShellTarget> = {}): ShellTarget {
  return { type: 'shell', command: NODE, args: ['-e', script, ...args], ...fields };
}

/** Writes its pid to argv[1], ignores SIGTERM, and runs until killed. */
const IGNORES_SIGTERM =
  "process.on('SIGTERM', () => {}); require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);";
/** Writes its pid to argv[1] and runs until killed. */
const RUNS_FOREVER =
  "require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);";

function job(id: string, target: unknown, fields: Partial<JobDefinition> = {}): JobDefinition {
  return {
    id,
    schedule: once(new Date(Date.now() + 50)),
    target: target as JobDefinition['target'],
    retry: { maxAttempts: 1 },
    ...fields,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid a test process wrote to `file`, once it has. */
async function pidIn(file: string): Promise<number> {
  await expect
    .poll(() => existsSync(file) && readFileSync(file, 'utf8') !== '', { timeout: 10_000 })
    .toBe(true);
  return Number(readFileSync(file, 'utf8'));
}

function context(signal: AbortSignal): ExecutionContext {
  return {
    executionId: '0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000',
    job: { id: 'direct' } as Job,
    payload: null,
    fireAt: new Date('2026-03-02T10:00:00Z'),
    attempt: 1,
    signal,
    logger: silent,
  };
}

let scheduler: Scheduler | undefined;
const cleanups: (() => void)[] = [];

async function startScheduler(allowed = true): Promise<Scheduler> {
  scheduler = createScheduler({
    store: memoryStore(),
    logger: silent,
    executors: [shellExecutor({ allowed })],
  });
  await scheduler.start();
  return scheduler;
}

function scratch(): string {
  const { dir, cleanup } = tempDir('chime-shell-');
  cleanups.push(cleanup);
  return dir;
}

afterEach(async () => {
  await scheduler?.stop({ timeoutMs: 0 });
  scheduler = undefined;
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

describe('shell targets when the scheduler does not allow them', () => {
  it('refuses the definition with CHIME_ERR_SHELL_DISABLED at the target type', async () => {
    const s = await startScheduler(false);
    const target = node('1');
    await expect(s.submitJob(job('refused', target))).rejects.toMatchObject({
      code: 'CHIME_ERR_SHELL_DISABLED',
      path: '/target/type',
      message: expect.stringContaining('allowShell'),
    });
    const onFailure: JobDefinition = {
      ...job('refused', { type: 'handler' }),
      onFailure: target as unknown as JobDefinition['target'],
    };
    await expect(s.submitJob(onFailure)).rejects.toMatchObject({
      code: 'CHIME_ERR_SHELL_DISABLED',
      path: '/onFailure/type',
    });
  });

  it('fails a job stored earlier for good, without starting the command', async () => {
    const file = join(scratch(), 'ran');
    const executor = shellExecutor({ allowed: false });
    const run = executor.run(
      node("require('fs').writeFileSync(process.argv[1], 'x')", [file]),
      context(new AbortController().signal),
    );
    await expect(run).rejects.toBeInstanceOf(PermanentError);
    await expect(run).rejects.toThrow(/^CHIME_ERR_SHELL_DISABLED: /);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(file)).toBe(false);
  });
});

describe('shell targets', () => {
  it('records exit code 0 with stdout and stderr as the result', async () => {
    const s = await startScheduler();
    const done = waitFor(s, 'execution:succeeded');
    await s.submitJob(job('ok', node("process.stdout.write('out'); process.stderr.write('err')")));
    const { result } = await done;
    expect(result).toEqual({ exitCode: 0, stdout: 'out', stderr: 'err', truncated: false });
  });

  it('gives the command CHIME_* variables and its env, and none of the rest of the scheduler environment', async () => {
    process.env['SHELL_TEST_SECRET'] = 'do-not-leak';
    cleanups.push(() => delete process.env['SHELL_TEST_SECRET']);
    const s = await startScheduler();
    const done = waitFor(s, 'execution:succeeded');
    await s.submitJob(
      job(
        'env',
        node('process.stdout.write(JSON.stringify(process.env))', [], { env: { GREETING: 'hi' } }),
      ),
    );
    const { result, executionId, fireAt } = await done;
    const env = JSON.parse((result as { stdout: string }).stdout) as Record<string, string>;
    expect(env).toMatchObject({
      CHIME_EXECUTION_ID: executionId,
      CHIME_JOB_ID: 'env',
      CHIME_FIRE_AT: fireAt.toISOString(),
      CHIME_ATTEMPT: '1',
      GREETING: 'hi',
      PATH: process.env['PATH'],
    });
    expect(env['SHELL_TEST_SECRET']).toBeUndefined();
    const allowed = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'GREETING'];
    const others = Object.keys(env).filter((k) => !k.startsWith('CHIME_') && !allowed.includes(k));
    // Node or the OS may add a few of its own (e.g. __CF_USER_TEXT_ENCODING on macOS), never ours.
    expect(others.filter((k) => k in process.env)).toEqual([]);
  });

  it('fails the attempt on a non-zero exit, naming the code and the end of stderr, and retries it', async () => {
    const s = await startScheduler();
    const dead = waitFor(s, 'execution:dead');
    await s.submitJob(
      job('exit-3', node("process.stderr.write('step 1 ok\\ndisk full'); process.exit(3)"), {
        retry: { maxAttempts: 2, initialDelay: 100, jitter: false },
      }),
    );
    const { attempt, error } = await dead;
    expect(attempt).toBe(2);
    expect(error.code).toBe('CHIME_ERR_TARGET_REJECTED');
    expect(error.message).toContain('exited with code 3');
    expect(error.message).toContain('disk full');
  });

  it('names the signal that killed the command', async () => {
    const executor = shellExecutor({ allowed: true });
    const run = executor.run(
      node("process.kill(process.pid, 'SIGKILL')"),
      context(new AbortController().signal),
    );
    await expect(run).rejects.toThrow(/was killed by SIGKILL/);
  });

  it('passes arguments literally: no shell expands or splits them', async () => {
    const tricky = [
      '$(rm -rf /)',
      '; echo hacked',
      '*',
      '`id`',
      '"q" \'s\'',
      '$HOME',
      '| cat',
      '&& exit 1',
      'a b',
    ];
    const executor = shellExecutor({ allowed: true });
    const result = await executor.run(
      node('process.stdout.write(JSON.stringify(process.argv.slice(1)))', tricky),
      context(new AbortController().signal),
    );
    expect(JSON.parse((result as { stdout: string }).stdout)).toEqual(tricky);
  });

  it('treats the command as a program name, never as a shell line', async () => {
    const s = await startScheduler();
    const dead = waitFor(s, 'execution:dead');
    await s.submitJob(
      job(
        'no-shell',
        { type: 'shell', command: 'echo hacked; true' },
        { retry: { maxAttempts: 3 } },
      ),
    );
    const { attempt, error } = await dead;
    expect(attempt).toBe(1);
    expect(error.name).toBe('PermanentError');
    expect(error.message).toContain('ENOENT');
  });

  it('runs in cwd', async () => {
    const dir = scratch();
    const executor = shellExecutor({ allowed: true });
    const result = await executor.run(
      node('process.stdout.write(process.cwd())', [], { cwd: dir }),
      context(new AbortController().signal),
    );
    expect(realpathSync((result as { stdout: string }).stdout)).toBe(realpathSync(dir));
  });

  it('keeps the head of the output up to maxOutputBytes and says it cut it', async () => {
    const executor = shellExecutor({ allowed: true });
    const signal = new AbortController().signal;
    const capped = await executor.run(
      node("process.stdout.write('x'.repeat(100000)); process.stderr.write('y'.repeat(10))", [], {
        maxOutputBytes: 1000,
      }),
      context(signal),
    );
    expect(capped).toEqual({
      exitCode: 0,
      stdout: 'x'.repeat(1000),
      stderr: 'y'.repeat(10),
      truncated: true,
    });
    const byDefault = (await executor.run(
      node("process.stdout.write('z'.repeat(40000))"),
      context(signal),
    )) as { stdout: string; truncated: boolean };
    expect(byDefault.stdout).toHaveLength(16 * 1024);
    expect(byDefault.truncated).toBe(true);
  });

  it('ends the attempt timed_out at the job timeout, and SIGKILLs a command that ignores SIGTERM after killGrace', async () => {
    const pidFile = join(scratch(), 'pid');
    const s = await startScheduler();
    const dead = waitFor(s, 'execution:dead');
    await s.submitJob(
      job('stubborn', node(IGNORES_SIGTERM, [pidFile], { killGrace: '1500ms' }), {
        timeout: '1500ms',
      }),
    );
    const { executionId } = await dead;
    const timedOutAt = Date.now();
    const execution = await s.getExecution(executionId);
    expect(execution?.attempts.map((a) => a.outcome)).toEqual(['timed_out']);
    const pid = await pidIn(pidFile);
    // SIGTERM was sent and ignored: the process is still there during the grace…
    expect(alive(pid)).toBe(true);
    // …and is killed once it has passed.
    await expect.poll(() => alive(pid), { timeout: 10_000, interval: 50 }).toBe(false);
    expect(Date.now() - timedOutAt).toBeGreaterThan(1_000);
  });

  it("ends the attempt at the target's own timeout", async () => {
    const s = await startScheduler();
    const dead = waitFor(s, 'execution:dead');
    await s.submitJob(
      job('target-timeout', node('setInterval(() => {}, 1000)', [], { timeout: '300ms' }), {
        timeout: '30s',
      }),
    );
    const { executionId, error } = await dead;
    expect(error.code).toBe('CHIME_ERR_ATTEMPT_TIMEOUT');
    expect(error.message).toContain("target's timeout of 300 ms");
    const execution = await s.getExecution(executionId);
    expect(execution?.attempts.map((a) => a.outcome)).toEqual(['timed_out']);
  });

  it('rejects at once when the signal aborts, and stops the processes the command started too', async () => {
    const dir = scratch();
    const childPidFile = join(dir, 'grandchild');
    const parent = `
      const { spawn } = require('child_process');
      spawn(process.execPath, ['-e', ${JSON.stringify(RUNS_FOREVER)}, process.argv[1]], { stdio: 'inherit' });
      setInterval(() => {}, 1000);`;
    const executor = shellExecutor({ allowed: true });
    const controller = new AbortController();
    const run = executor.run(
      node(parent, [childPidFile], { killGrace: '5s' }),
      context(controller.signal),
    );
    const grandchild = await pidIn(childPidFile);
    cleanups.push(() => alive(grandchild) && process.kill(grandchild, 'SIGKILL'));
    const reason = new Error('lease lost');
    const abortedAt = Date.now();
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(500);
    await expect.poll(() => alive(grandchild), { timeout: 5_000, interval: 50 }).toBe(false);
  });

  it('kills commands still in their kill grace when closed', async () => {
    const pidFile = join(scratch(), 'pid');
    const executor = shellExecutor({ allowed: true });
    const controller = new AbortController();
    const run = executor.run(
      node(IGNORES_SIGTERM, [pidFile], { killGrace: '60s' }),
      context(controller.signal),
    );
    const pid = await pidIn(pidFile);
    controller.abort(new Error('stop'));
    await expect(run).rejects.toThrow('stop');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(pid)).toBe(true);
    await executor.close?.();
    expect(alive(pid)).toBe(false);
  });

  it('redacts env as a whole', () => {
    const target = node('1', [], { env: { API_TOKEN: 't0k3n', MODE: 'x' }, cwd: '/tmp' });
    expect(redactSecrets(ShellTargetSchema, target)).toEqual({ ...target, env: REDACTED });
  });
});

describe('shell target definitions', () => {
  const ok = { type: 'shell', command: 'true' };
  const BAD: BadTarget[] = [
    ['no command', { type: 'shell' }, 'CHIME_ERR_MISSING_FIELD', '/target/command'],
    ['empty command', { ...ok, command: '' }, 'CHIME_ERR_INVALID_INPUT', '/target/command'],
    ['args as a string', { ...ok, args: '-l -a' }, 'CHIME_ERR_INVALID_INPUT', '/target/args'],
    ['a number in args', { ...ok, args: ['-n', 5] }, 'CHIME_ERR_INVALID_INPUT', '/target/args/1'],
    ['NUL in an argument', { ...ok, args: ['a\0b'] }, 'CHIME_ERR_INVALID_INPUT', '/target/args/0'],
    [
      'env value not a string',
      { ...ok, env: { N: 1 } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/env/N',
    ],
    ['bad env name', { ...ok, env: { 'A-B': 'x' } }, 'CHIME_ERR_INVALID_INPUT', '/target/env/A-B'],
    [
      'env name with a slash',
      { ...ok, env: { 'A/B': 'x' } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/env/A~1B',
    ],
    [
      'env overriding chime',
      { ...ok, env: { CHIME_JOB_ID: 'x' } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/env/CHIME_JOB_ID',
    ],
    ['empty cwd', { ...ok, cwd: '' }, 'CHIME_ERR_INVALID_INPUT', '/target/cwd'],
    ['bad timeout', { ...ok, timeout: 'soon' }, 'CHIME_ERR_DURATION_INVALID', '/target/timeout'],
    ['bad killGrace', { ...ok, killGrace: '-' }, 'CHIME_ERR_DURATION_INVALID', '/target/killGrace'],
    [
      'negative maxOutputBytes',
      { ...ok, maxOutputBytes: -1 },
      'CHIME_ERR_INVALID_INPUT',
      '/target/maxOutputBytes',
    ],
    [
      'a shell string field',
      { ...ok, shell: 'ls | wc' },
      'CHIME_ERR_UNKNOWN_FIELD',
      '/target/shell',
    ],
  ];

  refusesBadTargets(BAD, startScheduler);

  it('accepts a full definition', async () => {
    const s = await startScheduler();
    const full = {
      type: 'shell',
      command: '/usr/bin/env',
      args: ['printenv'],
      env: { MODE: 'nightly' },
      cwd: '/tmp',
      timeout: '1m',
      killGrace: '2s',
      maxOutputBytes: 4096,
    };
    await expect(s.submitJob(job('full', full))).resolves.toMatchObject({ id: 'full' });
  });
});
