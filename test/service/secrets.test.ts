/**
 * Secrets in targets are write-only: never in a response body, never in
 * `chime config` output, never in the log (at trace level); and an update
 * that sends the `[redacted]` placeholder back keeps the stored secret.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { Execution } from '../../src/model/execution.js';
import type { Job, JobDefinition } from '../../src/model/job.js';
import { REDACTED } from '../../src/model/secrets.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import {
  call,
  closedPort,
  logCollector,
  startReceiver,
  startTestService,
  waitFor,
  type CallOptions,
  type Receiver,
  type TestService,
} from './harness.js';

/** A distinctive secret, safe inside URLs. */
const secret = (name: string) => `${name}S3cr3t${randomBytes(6).toString('hex')}`;

const SECRETS = {
  bearer: secret('bearer'),
  basic: secret('basic'),
  authHeader: secret('authHeader'),
  apiKey: secret('apiKey'),
  urlPassword: secret('urlPassword'),
  amqp: secret('amqp'),
  smtpUrl: secret('smtpUrl'),
  smtpPass: secret('smtpPass'),
  natsToken: secret('natsToken'),
  natsUrl: secret('natsUrl'),
  onFailure: secret('onFailure'),
  serviceToken: secret('serviceToken'),
  pg: secret('pg'),
};

const logs = logCollector();
const bodies: { what: string; text: string }[] = [];
let svc: TestService;
let receiver: Receiver;
let closed: number;

/** Calls the service and keeps the answer's body for the final leak check. */
async function api<T>(method: string, path: string, options: CallOptions = {}) {
  const answer = await call<T>(svc.url, method, path, { token: SECRETS.serviceToken, ...options });
  bodies.push({ what: `${method} ${path}`, text: answer.text });
  return answer;
}

function expectNoSecret(text: string, where: string): void {
  for (const [name, value] of Object.entries(SECRETS))
    expect(text.includes(value), `${name} leaked in ${where}`).toBe(false);
}

/** One job per kind of secret; they fire at once (interval without startAt), once. */
function jobs(): JobDefinition[] {
  const hook = `${receiver.url}/hook`;
  const host = new URL(receiver.url).host;
  const once = { schedule: { kind: 'interval', every: '1h' }, retry: { maxAttempts: 1 } } as const;
  return [
    {
      id: 'http-bearer',
      ...once,
      target: { type: 'http', url: hook, auth: { type: 'bearer', token: SECRETS.bearer } },
      onFailure: { type: 'http', url: hook, auth: { type: 'bearer', token: SECRETS.onFailure } },
    },
    {
      id: 'http-basic',
      ...once,
      target: {
        type: 'http',
        url: hook,
        auth: { type: 'basic', username: 'alice', password: SECRETS.basic },
      },
    },
    {
      id: 'http-headers',
      ...once,
      target: {
        type: 'http',
        url: hook,
        headers: {
          Authorization: `Token ${SECRETS.authHeader}`,
          'X-Api-Key': SECRETS.apiKey,
          'X-Plain': 'visible',
        },
      },
    },
    {
      id: 'http-url-password',
      ...once,
      target: { type: 'http', url: `http://bob:${SECRETS.urlPassword}@${host}/hook?q=1` },
    },
    {
      id: 'amqp-url',
      ...once,
      target: {
        type: 'amqp',
        url: `amqp://guest:${SECRETS.amqp}@127.0.0.1:${closed}/vhost`,
        exchange: '',
        routingKey: 'q',
        timeout: '2s',
      },
    },
    {
      id: 'email-smtp-url',
      ...once,
      target: {
        type: 'email',
        smtp: `smtp://mailer:${SECRETS.smtpUrl}@127.0.0.1:${closed}`,
        from: 'chime@example.com',
        to: 'ops@example.com',
        subject: 'hi',
        text: 'hello',
        timeout: '2s',
      },
    },
    {
      id: 'email-smtp-pass',
      ...once,
      target: {
        type: 'email',
        smtp: `smtp://127.0.0.1:${closed}`,
        auth: { user: 'mailer', pass: SECRETS.smtpPass },
        from: 'chime@example.com',
        to: 'ops@example.com',
        subject: 'hi',
        text: 'hello',
        timeout: '2s',
      },
    },
    {
      id: 'nats-token',
      ...once,
      target: {
        type: 'nats',
        servers: [`nats://127.0.0.1:${closed}`, `nats://u:${SECRETS.natsUrl}@127.0.0.1:${closed}`],
        subject: 'chime.test',
        auth: { token: SECRETS.natsToken },
        timeout: '2s',
      },
    },
  ] as JobDefinition[];
}

beforeAll(async () => {
  receiver = await startReceiver();
  closed = await closedPort();
  svc = await startTestService(
    { token: SECRETS.serviceToken, 'log-level': 'trace', 'shutdown-timeout': '5s' },
    logs,
  );
});

afterAll(async () => {
  await svc?.close();
  await receiver?.close();
});

describe('secrets in targets', () => {
  it('are redacted in every answer: POST, PUT, GET, list, PATCH, pause, resume, executions, OpenAPI', async () => {
    const [first, ...rest] = jobs();
    if (!first) throw new Error('no jobs');
    const posted = await api<Job>('POST', '/v1/jobs', { body: first });
    expect(posted.status).toBe(201);
    expect(posted.json.target).toMatchObject({ auth: { type: 'bearer', token: REDACTED } });
    expect(posted.json.onFailure).toMatchObject({ auth: { token: REDACTED } });
    for (const job of rest) {
      const put = await api<Job>('PUT', `/v1/jobs/${job.id}`, { body: job });
      expect(put.status, put.text).toBe(200);
    }
    const get = async (id: string) => (await api<Job>('GET', `/v1/jobs/${id}`)).json;
    expect((await get('http-basic')).target).toMatchObject({
      auth: { username: 'alice', password: REDACTED },
    });
    expect((await get('http-headers')).target).toMatchObject({
      headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED, 'X-Plain': 'visible' },
    });
    expect((await get('http-url-password')).target).toMatchObject({
      url: `http://bob:${REDACTED}@${new URL(receiver.url).host}/hook?q=1`,
    });
    expect((await get('amqp-url')).target).toMatchObject({
      url: `amqp://guest:${REDACTED}@127.0.0.1:${closed}/vhost`,
    });
    expect((await get('email-smtp-url')).target).toMatchObject({
      smtp: `smtp://mailer:${REDACTED}@127.0.0.1:${closed}`,
    });
    expect((await get('email-smtp-pass')).target).toMatchObject({
      auth: { user: 'mailer', pass: REDACTED },
    });
    expect((await get('nats-token')).target).toMatchObject({
      servers: [`nats://127.0.0.1:${closed}`, `nats://u:${REDACTED}@127.0.0.1:${closed}`],
      auth: { token: REDACTED },
    });

    const list = await api<Page<Job>>('GET', '/v1/jobs?limit=1000');
    expect(list.json.items).toHaveLength(8);
    await api('GET', '/v1/jobs?targetType=http');
    // Each job's first fire (due at once) is over before pausing, which would drop it.
    const finishedCount = async () => {
      const page = (await api<Page<Execution>>('GET', '/v1/executions?limit=1000')).json;
      return page.items.filter((e) => e.status === 'succeeded' || e.status === 'failed').length;
    };
    await waitFor(async () => ((await finishedCount()) >= 8 ? true : undefined), 'first fires');
    for (const job of jobs()) {
      expect(
        (await api('PATCH', `/v1/jobs/${job.id}`, { body: { metadata: { patched: 'yes' } } }))
          .status,
      ).toBe(200);
      expect((await api('POST', `/v1/jobs/${job.id}/pause`)).status).toBe(200);
      expect((await api('POST', `/v1/jobs/${job.id}/resume`)).status).toBe(200);
      expect((await api('POST', `/v1/jobs/${job.id}/trigger`, { body: {} })).status).toBe(202);
    }
    await api('GET', '/openapi.json');
    await api('GET', '/v1/schema/job');

    // Every job has fired (and the unreachable ones failed) by now: their records hold no secret either.
    const executions = await waitFor(
      async () => {
        const page = (await api<Page<Execution>>('GET', '/v1/executions?limit=1000')).json;
        const finished = page.items.filter(
          (e) => e.status === 'succeeded' || e.status === 'failed',
        );
        return finished.length >= 16 ? page.items : undefined;
      },
      'every job to fire twice',
      20_000,
    );
    for (const execution of executions) await api('GET', `/v1/executions/${execution.id}`);
    const failed = executions.filter((e) => e.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);

    // The fires used the real secrets.
    const auth = receiver.requests.map((r) => r.headers['authorization']);
    expect(auth).toContain(`Bearer ${SECRETS.bearer}`);
    expect(auth).toContain(`Basic ${Buffer.from(`alice:${SECRETS.basic}`).toString('base64')}`);
    expect(auth).toContain(`Basic ${Buffer.from(`bob:${SECRETS.urlPassword}`).toString('base64')}`);
    expect(receiver.requests.map((r) => r.headers['x-api-key'])).toContain(SECRETS.apiKey);

    expect(bodies.length).toBeGreaterThan(50);
    for (const { what, text } of bodies) expectNoSecret(text, what);
  });

  it('are kept when a PUT or a PATCH sends the [redacted] placeholder back', async () => {
    for (const definition of jobs()) {
      const id = definition.id as string;
      const stored = await svc.service.scheduler.getJob(id);
      expect(stored?.target).toEqual(definition.target);
      const shown = (await api<Job>('GET', `/v1/jobs/${id}`)).json;
      expect(JSON.stringify(shown)).toContain(REDACTED);

      // PUT what GET showed (placeholders and all): nothing changes.
      const {
        nextFireAt: _n,
        version,
        createdAt: _c,
        updatedAt: _u,
        completedAt: _d,
        fireCount: _f,
        lastOutcome: _l,
        stats: _s,
        staleSince: _t,
        ...definitionShown
      } = shown;
      const put = await api<Job>('PUT', `/v1/jobs/${id}`, { body: definitionShown });
      expect(put.status, put.text).toBe(200);
      expect(put.json.version, `PUT ${id} changed the job`).toBe(version);
      const afterPut = await svc.service.scheduler.getJob(id);
      expect(afterPut?.target).toEqual(definition.target);
      expect(afterPut?.onFailure).toEqual(definition.onFailure);

      // PATCH the target with the placeholders and one real change: the secret stays.
      const patched = await api<Job>('PATCH', `/v1/jobs/${id}`, {
        body: { target: { ...shown.target, timeout: '3s' }, metadata: { round: '2' } },
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.json.version).toBe(version + 1);
      const afterPatch = await svc.service.scheduler.getJob(id);
      expect(afterPatch?.target).toEqual({ ...definition.target, timeout: '3s' });
      expect(afterPatch?.onFailure).toEqual(definition.onFailure);
    }
    // A new value replaces the secret.
    const fresh = secret('fresh');
    await api('PATCH', '/v1/jobs/http-bearer', { body: { target: { auth: { token: fresh } } } });
    expect((await svc.service.scheduler.getJob('http-bearer'))?.target).toMatchObject({
      auth: { token: fresh },
    });
    for (const { what, text } of bodies) expectNoSecret(text, what);
  });

  it('never appear in the service log, even at trace level', async () => {
    expect(logs.lines.length).toBeGreaterThan(20);
    expect(svc.service.app.log.isLevelEnabled('trace')).toBe(true);
    expect(logs.text()).toContain('"msg":"chime is serving"');
    expectNoSecret(logs.text(), 'the log');
  });
});

describe('chime config', () => {
  it('shows the token and the database password redacted', async () => {
    for (const json of [false, true]) {
      let out = '';
      let err = '';
      const io = {
        stdout: { write: (t: string) => (out += t) },
        stderr: { write: (t: string) => (err += t) },
        env: { CHIME_TOKEN_FILE: undefined },
      };
      const argv = [
        'config',
        '--token',
        SECRETS.serviceToken,
        '--database-url',
        `postgres://u:${SECRETS.pg}@h/db`,
        ...(json ? ['--json'] : []),
      ];
      expect(await runCli(argv, io), err).toBe(0);
      expectNoSecret(out + err, 'chime config');
      expect(out).toContain(`postgres://u:${REDACTED}@h/db`);
      if (json) {
        const rows = JSON.parse(out) as { option: string; value: string; source: string }[];
        expect(rows.find((r) => r.option === '--token')).toMatchObject({
          value: REDACTED,
          source: 'flag',
        });
      } else expect(out).toMatch(/^--token\s+CHIME_TOKEN\s+\[redacted\]\s+flag$/m);
    }
  });
});
