/**
 * Standard Webhooks signing of http targets, checked by the receiver's side
 * of the standard: the `standardwebhooks` package verifies every signature.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScheduler, memoryStore, once, type Scheduler } from '../../src/index.js';
import { httpExecutor, HttpTargetSchema, type HttpTarget } from '../../src/executors/http/index.js';
import { REDACTED, redactSecrets, restoreSecrets } from '../../src/model/secrets.js';
import { waitFor } from '../helpers/events.js';
import { context, httpJob, RecordingServer, rejection, type Seen } from '../helpers/http.js';
import { silent } from '../helpers/scheduler.js';

/** A fresh `whsec_` secret with a key of `bytes` bytes. */
const newSecret = (bytes = 32) => `whsec_${randomBytes(bytes).toString('base64')}`;

/** The three Standard Webhooks headers of a request, as the verifier takes them. */
function webhookHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const pick = (name: string) => String(headers[name] ?? '');
  return {
    'webhook-id': pick('webhook-id'),
    'webhook-timestamp': pick('webhook-timestamp'),
    'webhook-signature': pick('webhook-signature'),
  };
}

/** Verifies a request as a receiver holding `secret` would; throws when it does not verify. */
function verify(secret: string, seen: Seen | undefined): void {
  if (!seen) throw new Error('no request');
  new Webhook(secret).verify(seen.body, webhookHeaders(seen.headers), { jsonParse: false });
}

let server: RecordingServer;
beforeEach(async () => {
  server = await new RecordingServer().start();
});
afterEach(async () => server.stop());

describe('a signed request', () => {
  const executor = httpExecutor();
  afterEach(async () => executor.close?.());

  it("carries webhook-id (the execution id), the timestamp and a signature that verifies with the target's secret", async () => {
    const secret = newSecret();
    const before = Math.floor(Date.now() / 1000);
    await executor.run({ type: 'http', url: server.url(), signing: { secret } }, context());
    const after = Math.floor(Date.now() / 1000);
    const [seen] = server.seen;
    expect(seen?.headers['webhook-id']).toBe('exec-1');
    const timestamp = Number(seen?.headers['webhook-timestamp']);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    expect(seen?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    verify(secret, seen);
    expect(() => verify(newSecret(), seen)).toThrow(WebhookVerificationError);
    const tampered = { ...(seen as Seen), body: '{"n":2}' };
    expect(() => verify(secret, tampered)).toThrow(WebhookVerificationError);
  });

  it('carries one signature per secret while a receiver rotates: each verifies', async () => {
    const [old, fresh] = [newSecret(24), newSecret(64)];
    await executor.run(
      { type: 'http', url: server.url(), signing: { secret: [old, fresh] } },
      context(),
    );
    const [seen] = server.seen;
    expect(String(seen?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    verify(old, seen);
    verify(fresh, seen);
    expect(() => verify(newSecret(), seen)).toThrow(WebhookVerificationError);
  });

  it('is signed afresh at every redirect, over the body it carries (none after a 303)', async () => {
    server.reply = (res, seen) => {
      if (seen.url === '/hook') res.writeHead(307, { location: '/kept' }).end();
      else if (seen.url === '/kept') res.writeHead(303, { location: '/get' }).end();
      else res.end('done');
    };
    const secret = newSecret();
    await executor.run({ type: 'http', url: server.url(), signing: { secret } }, context());
    expect(server.seen.map((s) => [s.method, s.body])).toEqual([
      ['POST', '{"n":1}'],
      ['POST', '{"n":1}'],
      ['GET', ''],
    ]);
    for (const seen of server.seen) verify(secret, seen);
  });

  it("uses the executor's default secret for targets without their own; a target's own replaces it", async () => {
    const [fallback, own] = [newSecret(), newSecret()];
    const signing = httpExecutor({ signingSecret: fallback });
    await signing.run({ type: 'http', url: server.url(), method: 'GET' }, context());
    await signing.run({ type: 'http', url: server.url(), signing: { secret: own } }, context());
    await signing.close?.();
    const [first, second] = server.seen;
    verify(fallback, first);
    verify(own, second);
    expect(() => verify(fallback, second)).toThrow(WebhookVerificationError);
  });

  it('is not signed when no secret is given', async () => {
    await executor.run({ type: 'http', url: server.url() }, context());
    expect(
      Object.keys(server.seen[0]?.headers ?? {}).filter((h) => h.startsWith('webhook-')),
    ).toEqual([]);
  });
});

describe('signed retries', () => {
  let scheduler: Scheduler;
  afterEach(async () => scheduler.stop({ timeoutMs: 0 }));

  it('carry the same webhook-id and a fresh timestamp and signature on every attempt', async () => {
    const secret = newSecret();
    scheduler = createScheduler({
      store: memoryStore(),
      executors: [httpExecutor()],
      logger: silent,
      pollIntervalMs: 50,
    });
    server.reply = (res) => res.writeHead(server.seen.length < 3 ? 500 : 200).end();
    await scheduler.start();
    const done = waitFor(scheduler, 'execution:succeeded');
    await scheduler.submitJob(
      httpJob({
        schedule: once(new Date(Date.now() + 20)),
        target: { type: 'http', url: server.url(), signing: { secret } },
        // Attempts more than a second apart: their timestamps differ.
        retry: { maxAttempts: 3, backoff: 'fixed', initialDelay: 1_050, jitter: false },
      }),
    );
    const { executionId } = await done;
    expect(server.seen.map((s) => s.headers['webhook-id'])).toEqual([
      executionId,
      executionId,
      executionId,
    ]);
    const timestamps = server.seen.map((s) => Number(s.headers['webhook-timestamp']));
    expect(new Set(timestamps).size).toBe(3);
    expect(new Set(server.seen.map((s) => s.headers['webhook-signature'])).size).toBe(3);
    for (const seen of server.seen) verify(secret, seen);
  });
});

describe('signing secrets', () => {
  const scheduler = createScheduler({
    store: memoryStore(),
    executors: [httpExecutor()],
    logger: silent,
  });
  afterAll(async () => scheduler.stop({ timeoutMs: 0 }));
  const good = newSecret();

  const bad: [string, unknown, string, string][] = [
    ['no whsec_ prefix', good.slice(6), 'CHIME_ERR_INVALID_INPUT', '/target/signing/secret'],
    ['not base64', 'whsec_not*base64!', 'CHIME_ERR_INVALID_INPUT', '/target/signing/secret'],
    ['a 16-byte key', newSecret(16), 'CHIME_ERR_INVALID_INPUT', '/target/signing/secret'],
    ['a 65-byte key', newSecret(65), 'CHIME_ERR_INVALID_INPUT', '/target/signing/secret'],
    ['an empty list', [], 'CHIME_ERR_INVALID_INPUT', '/target/signing/secret'],
    [
      'a short second key',
      [good, newSecret(8)],
      'CHIME_ERR_INVALID_INPUT',
      '/target/signing/secret/1',
    ],
    ['a number', 42, 'CHIME_ERR_INVALID_INPUT', '/target/signing/secret'],
  ];
  it.each(bad)('are refused at the field: %s, never echoed', async (_name, secret, code, path) => {
    const submitted = scheduler.submitJob(
      httpJob({
        schedule: once(new Date(Date.now() + 60_000)),
        target: { type: 'http', url: 'https://hooks.example.com/', signing: { secret } },
      } as never),
    );
    const err = await rejection(submitted);
    expect(err).toMatchObject({ code, path });
    for (const one of [secret].flat()) {
      if (typeof one === 'string') expect(err.message).not.toContain(one.slice(6));
    }
  });

  it('take no other field, and leave the webhook-* headers to chime', async () => {
    const target = (fields: object) =>
      scheduler.submitJob(
        httpJob({
          schedule: once(new Date(Date.now() + 60_000)),
          target: { type: 'http', url: 'https://hooks.example.com/', ...fields } as HttpTarget,
        }),
      );
    await expect(target({ signing: { secret: good, keyId: 'k1' } })).rejects.toMatchObject({
      code: 'CHIME_ERR_UNKNOWN_FIELD',
      path: '/target/signing/keyId',
    });
    await expect(target({ headers: { 'Webhook-Id': 'mine' } })).rejects.toMatchObject({
      path: '/target/headers/Webhook-Id',
    });
  });

  it('of the executor and the scheduler are checked when created (CHIME_ERR_OPTION_INVALID)', () => {
    expect(() => httpExecutor({ signingSecret: newSecret(8) })).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/signingSecret' }),
    );
    expect(() =>
      createScheduler({ store: memoryStore(), httpSigningSecret: [good, 'whsec_x'] }),
    ).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/signingSecret/1' }),
    );
  });

  it('are write-only: redacted, and kept when [redacted] comes back for the same destination', () => {
    const stored: HttpTarget = {
      type: 'http',
      url: 'https://hooks.example.com/x',
      signing: { secret: [good, newSecret()] },
    };
    const shown = redactSecrets(HttpTargetSchema, stored) as HttpTarget;
    expect(shown.signing).toEqual({ secret: REDACTED });
    expect(JSON.stringify(shown)).not.toContain('whsec_');
    expect(restoreSecrets(HttpTargetSchema, shown, stored)).toEqual(stored);
    expect(
      restoreSecrets(HttpTargetSchema, { ...shown, signing: { secret: good } }, stored),
    ).toMatchObject({ signing: { secret: good } });
    expect(() =>
      restoreSecrets(
        HttpTargetSchema,
        { ...shown, url: 'https://elsewhere.example.com/x' },
        stored,
      ),
    ).toThrow(expect.objectContaining({ code: 'CHIME_ERR_INVALID_INPUT' }));
  });
});
