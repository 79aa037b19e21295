/**
 * The address guard of http targets: link-local addresses and cloud-metadata
 * endpoints are refused by default, when a job is defined (address literals,
 * metadata names) and when a request is sent (a name that resolves to one);
 * `httpAllowLinkLocal` allows them, `httpDenyPrivate` refuses loopback and
 * private addresses too.
 *
 * No test sends a packet off this host, even when the guard is broken: jobs
 * naming refused addresses are paused and never due, and the names resolved at call
 * time resolve to loopback first, so a missing guard shows as a request that
 * reached the local server.
 */
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  memoryStore,
  once,
  PermanentError,
  type Scheduler,
  type SchedulerOptions,
} from '../../src/index.js';
import { guardedLookup } from '../../src/executors/http/address-guard.js';
import { httpExecutor } from '../../src/executors/http/index.js';
import { waitFor } from '../helpers/events.js';
import { context, httpJob, RecordingServer, rejection } from '../helpers/http.js';
import { silent } from '../helpers/scheduler.js';
import { call, startTestService, type TestService } from '../service/harness.js';

const BLOCKED = 'CHIME_ERR_TARGET_ADDRESS_BLOCKED';

/** Link-local and cloud-metadata destinations, as a job may spell them. */
const LINK_LOCAL_URLS = [
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://2852039166/latest/meta-data/', // 169.254.169.254 as one number
  'http://0xa9.0xfe.0xa9.0xfe/', // and in hex
  'http://169.254.1.1/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://METADATA.google.internal./computeMetadata/v1/',
  'https://metadata.goog/computeMetadata/v1/',
  'http://100.100.100.200/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:100.100.100.200]/',
  'http://[fe80::1]/',
  'http://[febf::1]/',
];

/** Loopback and private destinations: allowed unless httpDenyPrivate. */
const PRIVATE_URLS = [
  'http://127.0.0.1:8080/hook',
  'http://127.9.9.9/',
  'http://0.0.0.0/',
  'http://10.0.0.1/',
  'http://10.255.1.2:9000/x',
  'http://172.16.5.4/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[fd12:3456::1]/',
];

/** Schedulers of the test, stopped after it. */
const schedulers: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop({ timeoutMs: 0 })));
});

/** A started scheduler whose jobs are paused and an hour away: nothing submitted to it fires. */
async function definer(options: SchedulerOptions = {}) {
  const scheduler = createScheduler({ store: memoryStore(), logger: silent, ...options });
  schedulers.push(scheduler);
  await scheduler.start();
  const submit = (url: string, field: 'target' | 'onFailure' = 'target') =>
    scheduler.submitJob(
      httpJob({
        schedule: once(new Date(Date.now() + 3_600_000)),
        paused: true,
        target: { type: 'http', url: 'https://hooks.example.com/ok' },
        ...{ [field]: { type: 'http', url } },
      }),
    );
  return { scheduler, submit };
}

/** A DNS stub: each name answers its addresses, in order, as `dns.lookup` would. */
function stubLookup(names: Record<string, string[]>): LookupFunction & { asked: string[] } {
  const asked: string[] = [];
  const lookup = ((hostname, options, callback) => {
    asked.push(hostname);
    const found = names[hostname];
    if (!found) {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
      });
      return callback(err, '', 0);
    }
    const all: LookupAddress[] = found.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
    if (options.all) callback(null, all);
    else callback(null, all[0]?.address ?? '', all[0]?.family ?? 4);
  }) as LookupFunction;
  return Object.assign(lookup, { asked });
}

describe('when a job is defined', () => {
  it.each(LINK_LOCAL_URLS)('refuses %s by default, at the field', async (url) => {
    const { submit } = await definer();
    await expect(submit(url)).rejects.toMatchObject({ code: BLOCKED, path: '/target/url' });
    await expect(submit(url, 'onFailure')).rejects.toMatchObject({
      code: BLOCKED,
      path: '/onFailure/url',
    });
  });

  it('says why, and how to allow it', async () => {
    const { submit } = await definer();
    const err = await rejection(submit('http://169.254.169.254/latest/meta-data'));
    expect(err.message).toBe(
      'http targets may not call host "169.254.169.254": it is a cloud-metadata endpoint, refused unless httpAllowLinkLocal (--http-allow-link-local) is set (at /target/url)',
    );
    expect((await rejection(submit('http://[fe80::1]/'))).message).toContain(
      'it is a link-local address, refused unless httpAllowLinkLocal',
    );
  });

  it('allows them all with httpAllowLinkLocal', async () => {
    const { submit } = await definer({ httpAllowLinkLocal: true });
    for (const url of LINK_LOCAL_URLS) {
      await expect(submit(url)).resolves.toMatchObject({ target: { url } });
    }
  });

  it('allows loopback and private addresses by default', async () => {
    const { submit } = await definer();
    for (const url of PRIVATE_URLS) {
      await expect(submit(url)).resolves.toMatchObject({ target: { url } });
    }
  });

  it('refuses loopback and private addresses with httpDenyPrivate (metadata ones stay refused)', async () => {
    const { submit } = await definer({ httpDenyPrivate: true });
    for (const url of PRIVATE_URLS) {
      const err = await rejection(submit(url));
      expect(err, url).toMatchObject({ code: BLOCKED, path: '/target/url' });
      expect(err.message).toMatch(/a (loopback|private) address, refused because httpDenyPrivate/);
    }
    await expect(submit('http://169.254.169.254/')).rejects.toMatchObject({ code: BLOCKED });
    const both = await definer({ httpDenyPrivate: true, httpAllowLinkLocal: true });
    await expect(both.submit('http://169.254.1.1/')).resolves.toBeDefined();
    await expect(both.submit('http://[fd00:ec2::254]/')).rejects.toMatchObject({
      code: BLOCKED,
    });
  });

  it('judges the allow-list first: a host outside it is CHIME_ERR_INVALID_INPUT', async () => {
    const { submit } = await definer({
      httpAllowHosts: ['*.example.com', 'metadata.google.internal'],
    });
    await expect(submit('http://169.254.169.254/')).rejects.toMatchObject({
      code: 'CHIME_ERR_INVALID_INPUT',
    });
    // Listed, yet still refused: the guard does not bend to the allow-list.
    await expect(submit('http://metadata.google.internal/')).rejects.toMatchObject({
      code: BLOCKED,
    });
  });
});

describe('when a request is sent', () => {
  let server: RecordingServer;
  beforeEach(async () => {
    server = await new RecordingServer().start();
  });
  afterEach(async () => server.stop());

  it('refuses a name that resolves to a link-local address, before connecting', async () => {
    const lookup = stubLookup({
      'hooks.test': ['127.0.0.1'],
      'rebound.test': ['127.0.0.1', '169.254.169.254'],
    });
    const executor = httpExecutor({ lookup });
    await executor.run({ type: 'http', url: `http://hooks.test:${server.port}/ok` }, context());
    expect(server.seen.map((s) => s.url)).toEqual(['/ok']);
    const err = await rejection(
      executor.run({ type: 'http', url: `http://rebound.test:${server.port}/x` }, context()),
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.cause).toMatchObject({ code: BLOCKED });
    expect(err.message).toBe(
      'POST http://rebound.test:' +
        server.port +
        ' was not called: http targets may not call "rebound.test": it resolves to 169.254.169.254, a cloud-metadata endpoint, refused unless httpAllowLinkLocal (--http-allow-link-local) is set',
    );
    expect(server.seen).toHaveLength(1);
    expect(lookup.asked).toEqual(['hooks.test', 'rebound.test']);
    await executor.close?.();
  });

  it('records the refusal as a permanent failure with its code (one attempt)', async () => {
    const scheduler = createScheduler({
      store: memoryStore(),
      logger: silent,
      pollIntervalMs: 50,
      executors: [
        httpExecutor({ lookup: stubLookup({ 'rebound.test': ['127.0.0.1', 'fe80::1'] }) }),
      ],
    });
    await scheduler.start();
    const dead = waitFor(scheduler, 'execution:dead');
    await scheduler.submitJob(
      httpJob({
        schedule: once(new Date(Date.now() + 20)),
        target: { type: 'http', url: `http://rebound.test:${server.port}/` },
        retry: { maxAttempts: 3, initialDelay: 10 },
      }),
    );
    const { attempt, error } = await dead;
    expect(attempt).toBe(1);
    expect(error).toMatchObject({ name: 'PermanentError', code: BLOCKED });
    expect(error.message).toContain('it resolves to fe80::1, a link-local address');
    expect(server.seen).toHaveLength(0);
    await scheduler.stop({ timeoutMs: 0 });
  });

  it('with httpDenyPrivate, refuses localhost as the system resolves it', async () => {
    const executor = httpExecutor({ denyPrivate: true });
    const err = await rejection(
      executor.run({ type: 'http', url: `http://localhost:${server.port}/` }, context()),
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.cause).toMatchObject({ code: BLOCKED });
    expect(err.message).toMatch(/resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(server.seen).toHaveLength(0);
    await executor.close?.();
  });

  it('judges every redirect: a metadata name at once, any name when it resolves', async () => {
    // Were a check missing, these names would reach the local server.
    const lookup = stubLookup({
      'rebound.test': ['127.0.0.1', '169.254.169.254'],
      'metadata.google.internal': ['127.0.0.1'],
    });
    const executor = httpExecutor({ lookup });
    server.reply = (res) =>
      res.writeHead(302, { location: `http://rebound.test:${server.port}/in` }).end();
    const byAddress = await rejection(executor.run({ type: 'http', url: server.url() }, context()));
    expect(byAddress).toBeInstanceOf(PermanentError);
    expect(byAddress.cause).toMatchObject({ code: BLOCKED });
    expect(lookup.asked).toEqual(['rebound.test']);

    const metadata = `http://metadata.google.internal:${server.port}/computeMetadata/v1/`;
    server.reply = (res) => res.writeHead(307, { location: metadata }).end();
    const byName = await rejection(executor.run({ type: 'http', url: server.url() }, context()));
    expect(byName).toBeInstanceOf(PermanentError);
    expect(byName.cause).toMatchObject({ code: BLOCKED });
    expect(byName.message).toContain('redirected to a refused destination');
    expect(lookup.asked).toEqual(['rebound.test']);
    expect(server.seen.map((s) => s.url)).toEqual(['/hook', '/hook']);
    await executor.close?.();
  });
});

describe('the guarded lookup', () => {
  const resolve = (lookup: LookupFunction, name: string) =>
    new Promise<LookupAddress[]>((done, fail) =>
      lookup(name, { all: true }, (err, addresses) =>
        err ? fail(err) : done(addresses as LookupAddress[]),
      ),
    );
  const names = {
    'metadata.test': ['169.254.169.254'],
    'aws6.test': ['fd00:ec2::254'],
    'mapped.test': ['::ffff:169.254.169.254'],
    'alibaba.test': ['100.100.100.200'],
    'scoped.test': ['fe80::1%eth0'],
    'private.test': ['10.1.2.3', '::1'],
  };

  it('refuses link-local and metadata answers by default, in every form', async () => {
    const lookup = guardedLookup({ allowLinkLocal: false, denyPrivate: false }, stubLookup(names));
    for (const name of ['metadata.test', 'aws6.test', 'mapped.test', 'alibaba.test', 'scoped.test'])
      await expect(resolve(lookup, name), name).rejects.toMatchObject({ code: BLOCKED });
    await expect(resolve(lookup, 'private.test')).resolves.toHaveLength(2);
  });

  it('passes them with allowLinkLocal, and refuses private answers with denyPrivate', async () => {
    const open = guardedLookup({ allowLinkLocal: true, denyPrivate: false }, stubLookup(names));
    await expect(resolve(open, 'metadata.test')).resolves.toEqual([
      { address: '169.254.169.254', family: 4 },
    ]);
    const strict = guardedLookup({ allowLinkLocal: true, denyPrivate: true }, stubLookup(names));
    await expect(resolve(strict, 'private.test')).rejects.toMatchObject({ code: BLOCKED });
    await expect(resolve(strict, 'missing.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('chime serve', () => {
  let plain: TestService;
  let open: TestService;
  let strict: TestService;
  beforeAll(async () => {
    [plain, open, strict] = await Promise.all([
      startTestService(),
      startTestService({ 'http-allow-link-local': true }),
      startTestService({ 'http-deny-private': true }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), open?.close(), strict?.close()]);
  });

  const job = (url: string) => ({
    schedule: { kind: 'once', at: new Date(Date.now() + 3_600_000).toISOString() },
    target: { type: 'http', url },
    paused: true,
  });

  it('refuses metadata targets by default (400 at the field), allows them with --http-allow-link-local', async () => {
    const refused = await call<{ code: string; path: string }>(plain.url, 'POST', '/v1/jobs', {
      body: job('http://169.254.169.254/latest/meta-data'),
    });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: BLOCKED, path: '/target/url' });
    const allowed = await call(open.url, 'POST', '/v1/jobs', {
      body: job('http://169.254.169.254/latest/meta-data'),
    });
    expect(allowed.status, allowed.text).toBe(201);
  });

  it('refuses loopback targets with --http-deny-private', async () => {
    expect(
      (await call(plain.url, 'POST', '/v1/jobs', { body: job('http://10.0.0.1/') })).status,
    ).toBe(201);
    const refused = await call<{ code: string }>(strict.url, 'POST', '/v1/jobs', {
      body: job('http://127.0.0.1:9/'),
    });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: BLOCKED });
  });
});
