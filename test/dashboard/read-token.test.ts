/**
 * The read-only token: its options (flag, variable, file), how `chime
 * config` shows it, and what the API lets it do — read everything, change
 * nothing (403 CHIME_ERR_FORBIDDEN).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { loadConfig } from '../../src/config/load.js';
import type { Job } from '../../src/model/job.js';
import type { Problem } from '../../src/service/problem.js';
import { tempDir } from '../helpers/files.js';
import { chime } from '../cli/run-cli.js';
import { call, startTestService, type TestService } from '../service/harness.js';

const TOKEN = 'write-token-0123456789abc';
const READ_TOKEN = 'read-token-0123456789abcd';
const daily = { kind: 'cron', expr: '0 3 * * *' };

describe('the --read-token option', () => {
  const load = (flags: Record<string, string>, env: Record<string, string> = {}) =>
    loadConfig({ flags, env });

  it('is read from the flag, CHIME_READ_TOKEN or a file', () => {
    expect(load({ token: TOKEN, 'read-token': READ_TOKEN }).get('read-token')).toBe(READ_TOKEN);
    expect(load({ token: TOKEN }, { CHIME_READ_TOKEN: READ_TOKEN }).get('read-token')).toBe(
      READ_TOKEN,
    );
    const { dir, cleanup } = tempDir('chime-read-token-');
    try {
      const file = join(dir, 'read-token');
      writeFileSync(file, `${READ_TOKEN}\n`);
      const config = load({ token: TOKEN }, { CHIME_READ_TOKEN_FILE: file });
      expect(config.get('read-token')).toBe(READ_TOKEN);
      expect(config.entries().find((e) => e.spec.name === 'read-token')?.source).toBe('env');
    } finally {
      cleanup();
    }
  });

  it.each([
    [{ 'read-token': READ_TOKEN }, /read-only token needs --token/],
    [{ token: TOKEN, 'read-token': 'short' }, /at least 16 characters/],
    [{ token: TOKEN, 'read-token': TOKEN }, /must differ from --token/],
    [
      { token: TOKEN, 'read-token': READ_TOKEN, 'read-token-file': '/x' },
      /either --read-token or --read-token-file/,
    ],
  ])('refuses %o', (flags, message) => {
    expect(() => load(flags)).toThrow(message);
    try {
      load(flags);
    } catch (err) {
      expect(err).toMatchObject({ code: 'CHIME_ERR_CONFIG_INVALID' });
    }
  });

  it('is shown redacted by chime config', async () => {
    let out = '';
    const io = {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => undefined },
      env: {},
    };
    const argv = ['config', '--token', TOKEN, '--read-token', READ_TOKEN];
    expect(await runCli(argv, io)).toBe(0);
    expect(out).not.toContain(READ_TOKEN);
    expect(out).toMatch(/^--read-token\s+CHIME_READ_TOKEN\s+\[redacted\]\s+flag$/m);
  });
});

describe('the API with a read-only token', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ token: TOKEN, 'read-token': READ_TOKEN });
    const put = await call(svc.url, 'PUT', '/v1/jobs/seen', {
      token: TOKEN,
      body: { schedule: daily },
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => svc?.close());

  it('reads: jobs, one job, executions, the schema, a preview, metrics', async () => {
    for (const path of [
      '/v1/jobs',
      '/v1/jobs/seen',
      '/v1/jobs/seen/executions',
      '/v1/executions',
      '/v1/schema/job',
      '/v1/schedules/preview?cron=0%203%20*%20*%20*',
      '/v1/fires/upcoming',
      '/v1/stats/recent',
      '/metrics',
    ]) {
      expect((await call(svc.url, 'GET', path, { token: READ_TOKEN })).status, path).toBe(200);
    }
  });

  it.each([
    ['POST', '/v1/jobs', { id: 'new-one', schedule: daily }],
    ['PUT', '/v1/jobs/seen', { schedule: daily, payload: 1 }],
    ['PATCH', '/v1/jobs/seen', { payload: 2 }],
    ['DELETE', '/v1/jobs/seen', undefined],
    ['POST', '/v1/jobs/seen/pause', undefined],
    ['POST', '/v1/jobs/seen/resume', undefined],
    ['POST', '/v1/jobs/seen/trigger', {}],
  ])(
    'refuses %s %s with 403 CHIME_ERR_FORBIDDEN, and changes nothing',
    async (method, path, body) => {
      const before = (await call<Job>(svc.url, 'GET', '/v1/jobs/seen', { token: TOKEN })).json;
      const answer = await call<Problem>(svc.url, method, path, {
        token: READ_TOKEN,
        ...(body === undefined ? {} : { body }),
      });
      expect(answer.status).toBe(403);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.json).toMatchObject({ code: 'CHIME_ERR_FORBIDDEN', status: 403 });
      expect(answer.json.detail).toContain('read-only token');
      const after = (await call<Job>(svc.url, 'GET', '/v1/jobs/seen', { token: TOKEN })).json;
      expect(after).toEqual(before);
      expect((await call(svc.url, 'GET', '/v1/jobs/new-one', { token: TOKEN })).status).toBe(404);
      expect((await call(svc.url, 'GET', '/v1/executions', { token: TOKEN })).json).toEqual({
        items: [],
        nextCursor: null,
      });
    },
  );

  it('answers GET /v1/access with what each token may do', async () => {
    const read = await call(svc.url, 'GET', '/v1/access', { token: READ_TOKEN });
    expect(read.json).toEqual({ access: 'read', tokenRequired: true });
    const write = await call(svc.url, 'GET', '/v1/access', { token: TOKEN });
    expect(write.json).toEqual({ access: 'write', tokenRequired: true });
    const none = await call<Problem>(svc.url, 'GET', '/v1/access');
    expect(none.status).toBe(401);
    const wrong = await call<Problem>(svc.url, 'GET', '/v1/access', { token: `${READ_TOKEN}x` });
    expect(wrong.json).toMatchObject({ code: 'CHIME_ERR_UNAUTHORIZED' });
  });

  it('makes chime exit 5 when the read-only token is asked to write, 0 when it reads', async () => {
    const write = await chime(['jobs', 'pause', 'seen', '--url', svc.url, '--token', READ_TOKEN]);
    expect(write.code).toBe(5);
    expect(write.stderr).toContain('read-only token');
    const read = await chime(['jobs', 'get', 'seen', '--url', svc.url, '--token', READ_TOKEN]);
    expect(read.code).toBe(0);
  });

  it('lets the service token write', async () => {
    const answer = await call(svc.url, 'POST', '/v1/jobs/seen/pause', { token: TOKEN });
    expect(answer.status).toBe(200);
  });
});

describe('without any token', () => {
  it('GET /v1/access says everyone may write', async () => {
    const svc = await startTestService();
    try {
      const answer = await call(svc.url, 'GET', '/v1/access');
      expect(answer.json).toEqual({ access: 'write', tokenRequired: false });
    } finally {
      await svc.close();
    }
  });
});
