/**
 * Signing secrets in `chime serve`: `--http-signing-secret` signs the HTTP
 * targets without their own, and every secret is write-only like the other
 * secrets of targets (redacted in answers, in the CLI and by `chime config`;
 * `[redacted]` sent back keeps it).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution } from '../../src/model/execution.js';
import type { Job } from '../../src/model/job.js';
import { REDACTED } from '../../src/model/secrets.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import { chime } from '../cli/run-cli.js';
import {
  call,
  startReceiver,
  startTestService,
  waitFor,
  type Received,
  type Receiver,
  type TestService,
} from './harness.js';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const SERVICE_DEFAULT = newSecret();
const OWN = [newSecret(), newSecret()];
const TOKEN = 'http-signing-token-0123456789';

let svc: TestService;
let receiver: Receiver;
const api = <T>(method: string, path: string, body?: unknown) =>
  call<T>(svc.url, method, path, { token: TOKEN, ...(body === undefined ? {} : { body }) });

function verify(secret: string, received: Received | undefined): void {
  if (!received) throw new Error('no request');
  const headers = Object.fromEntries(
    ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [
      h,
      String(received.headers[h]),
    ]),
  );
  new Webhook(secret).verify(received.body, headers, { jsonParse: false });
}

beforeAll(async () => {
  receiver = await startReceiver();
  svc = await startTestService({ token: TOKEN, 'http-signing-secret': SERVICE_DEFAULT });
});
afterAll(async () => {
  await svc?.close();
  await receiver?.close();
});

describe('signing in chime serve', () => {
  const every = { kind: 'interval', every: '1h' }; // fires at once, then in an hour

  it("signs with the job's secrets, or else with --http-signing-secret", async () => {
    const own = await api<Job>('PUT', '/v1/jobs/own', {
      schedule: every,
      target: { type: 'http', url: `${receiver.url}/own`, signing: { secret: OWN } },
    });
    expect(own.status, own.text).toBe(200);
    const fallback = await api('PUT', '/v1/jobs/default', {
      schedule: every,
      target: { type: 'http', url: `${receiver.url}/default` },
    });
    expect(fallback.status, fallback.text).toBe(200);
    const executions = await waitFor(async () => {
      const page = (await api<Page<Execution>>('GET', '/v1/executions')).json;
      const done = page.items.filter((e) => e.status === 'succeeded');
      return done.length === 2 ? done : undefined;
    }, 'both jobs to fire');
    const sent = (path: string) => receiver.requests.find((r) => r.url === path);
    for (const secret of OWN) verify(secret, sent('/own'));
    verify(SERVICE_DEFAULT, sent('/default'));
    expect(() => verify(SERVICE_DEFAULT, sent('/own'))).toThrow();
    expect(executions.map((e) => e.id).sort()).toEqual(
      receiver.requests.map((r) => r.headers['webhook-id']).sort(),
    );
  });

  it('never shows a secret: answers, the CLI and chime config show [redacted]', async () => {
    const shown = (await api<Job>('GET', '/v1/jobs/own')).json;
    expect(shown.target).toMatchObject({ signing: { secret: REDACTED } });
    const texts = [
      JSON.stringify(shown),
      (await api('GET', '/v1/jobs')).text,
      (await chime(['jobs', 'get', 'own', '--url', svc.url, '--token', TOKEN])).stdout,
      (await chime(['jobs', 'get', 'own', '--json', '--url', svc.url, '--token', TOKEN])).stdout,
      (await chime(['config', '--http-signing-secret', SERVICE_DEFAULT])).stdout,
    ];
    expect(texts[2]).toContain(REDACTED);
    expect(texts[4]).toMatch(/^--http-signing-secret\s+CHIME_HTTP_SIGNING_SECRET\s+\[redacted\]/m);
    for (const text of texts) {
      for (const secret of [SERVICE_DEFAULT, ...OWN]) expect(text).not.toContain(secret.slice(6));
    }
  });

  it('keeps the stored secrets when [redacted] comes back, not when the destination changes', async () => {
    const shown = (await api<Job>('GET', '/v1/jobs/own')).json;
    const put = await api<Job>('PUT', '/v1/jobs/own', {
      schedule: shown.schedule,
      target: shown.target,
    });
    expect(put.status, put.text).toBe(200);
    expect(put.json.version).toBe(shown.version);
    expect((await svc.service.scheduler.getJob('own'))?.target).toMatchObject({
      signing: { secret: OWN },
    });
    const moved = await api<{ code: string; path: string }>('PUT', '/v1/jobs/own', {
      schedule: shown.schedule,
      target: { ...shown.target, url: 'http://elsewhere.example.com/own' },
    });
    expect(moved.status).toBe(400);
    expect(moved.json).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path: '/target' });
  });
});
