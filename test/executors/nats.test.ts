import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import {
  createScheduler,
  memoryStore,
  once,
  type ExecutionContext,
  type Executor,
  type Job,
  type JobDefinition,
  type Scheduler,
} from '../../src/index.js';
import { natsExecutor, NatsTargetSchema, type NatsTarget } from '../../src/executors/nats/index.js';
import { natsEndpoint } from '../../src/executors/nats/connections.js';
import { redactSecrets } from '../../src/model/secrets.js';
import { until, waitFor } from '../helpers/events.js';
import { silent } from '../helpers/scheduler.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { refusesBadTargets, type BadTarget } from '../helpers/bad-targets.js';

const up = await serviceAvailable('nats');
const SERVER = SERVICES.nats.url;

describe.skipIf(!up)('nats target (NATS with JetStream on 127.0.0.1:4222)', () => {
  const base = uniqueName('chime');
  const stream = uniqueName('CHIME');
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let proxy: TcpProxy;
  let scheduler: Scheduler | undefined;

  beforeAll(async () => {
    nc = await connect({ servers: SERVER });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: stream,
      subjects: [`${base}.js.>`],
      storage: StorageType.Memory,
      duplicate_window: 120_000_000_000, // 2 minutes, in nanoseconds
    });
    proxy = await new TcpProxy(SERVICES.nats.host, SERVICES.nats.port).start();
  });
  afterAll(async () => {
    await jsm.streams.delete(stream);
    await nc.close();
    await proxy.stop();
  });
  afterEach(async () => {
    await scheduler?.stop({ timeoutMs: 0 });
    scheduler = undefined;
    proxy.unblock();
  });

  /** A core subject, or one the test stream takes. */
  function subject(kind: 'core' | 'js'): string {
    return `${base}.${kind}.${uniqueName('s')}`;
  }

  function target(fields: Partial<NatsTarget> = {}): NatsTarget {
    return { type: 'nats', servers: SERVER, subject: subject('core'), ...fields };
  }

  function viaProxy(): string {
    return `nats://127.0.0.1:${proxy.port}`;
  }

  /** Collects what arrives on `subj` (over a direct connection, never the proxy). */
  function listen(subj: string): Msg[] {
    const got: Msg[] = [];
    nc.subscribe(subj, { callback: (_err, msg) => void got.push(msg) });
    return got;
  }

  /** Messages the test stream holds on `subj`. */
  async function stored(subj: string): Promise<number> {
    const info = await jsm.streams.info(stream, { subjects_filter: subj });
    return info.state.subjects?.[subj] ?? 0;
  }

  async function startScheduler(executor: Executor = natsExecutor()): Promise<Scheduler> {
    scheduler = createScheduler({ store: memoryStore(), logger: silent, executors: [executor] });
    await scheduler.start();
    return scheduler;
  }

  /** A one-shot job 50 ms from now with quick, unjittered retries. */
  function job(t: NatsTarget, extra: Partial<JobDefinition> = {}): JobDefinition {
    return {
      id: uniqueName('job'),
      schedule: once(new Date(Date.now() + 50)),
      // the built-in Target union does not list nats yet; the executor is registered here
      target: t as unknown as JobDefinition['target'],
      payload: { order: 42, note: 'ünïcode' },
      retry: { maxAttempts: 3, initialDelay: 100, jitter: false },
      ...extra,
    };
  }

  /** A hand-built attempt context, for calling the executor directly. */
  function context(fields: Partial<ExecutionContext> = {}): ExecutionContext {
    return {
      executionId: uniqueName('exec'),
      job: { id: 'direct-job' } as unknown as Job, // the executor reads only the job's id
      payload: { direct: true },
      fireAt: new Date('2026-03-02T10:00:00Z'),
      attempt: 1,
      signal: new AbortController().signal,
      logger: silent,
      ...fields,
    };
  }

  /**
   * Runs publishes aborted after 50 ms until one is held back (the client saw the cut and
   * reconnects) rather than failed (a publish racing the reset fails fast, and is retried
   * like any failed attempt). Returns the held-back publish's execution id.
   */
  async function untilHeldBack(executor: Executor<NatsTarget>, t: NatsTarget): Promise<string> {
    const reason = new Error('aborted by the test');
    let held: string | undefined;
    await until(
      async () => {
        const controller = new AbortController();
        const ctx = context({ signal: controller.signal });
        const timer = setTimeout(() => controller.abort(reason), 50);
        const outcome: unknown = await executor.run(t, ctx).catch((err: unknown) => err);
        clearTimeout(timer);
        if (outcome === reason) held = ctx.executionId;
        return held !== undefined;
      },
      5_000,
      'a publish held back by the reconnect',
    );
    return held as string;
  }

  it('publishes the payload on a core subject with Nats-Msg-Id = execution id and chime headers', async () => {
    const s = await startScheduler();
    const t = target({ headers: { Tenant: 'acme' } });
    const got = listen(t.subject);
    await nc.flush();
    const def = job(t);
    const succeeded = waitFor(s, 'execution:succeeded', (e) => e.jobId === def.id);
    await s.submitJob(def);
    const done = await succeeded;
    await until(() => got.length === 1, 5_000, 'the message');
    const msg = got[0] as Msg;
    expect(msg.headers?.get('Nats-Msg-Id')).toBe(done.executionId);
    expect(msg.headers?.get('Chime-Job-Id')).toBe(def.id);
    expect(msg.headers?.get('Chime-Fire-At')).toBe(done.fireAt.toISOString());
    expect(msg.headers?.get('Chime-Attempt')).toBe('1');
    expect(msg.headers?.get('Tenant')).toBe('acme');
    expect(msg.json()).toEqual(def.payload);
    expect(done.result).toEqual({ subject: t.subject, msgId: done.executionId });
  });

  it("publishes through JetStream and records the stream's ack", async () => {
    const s = await startScheduler();
    const t = target({ subject: subject('js'), jetstream: true, body: 'hello' });
    const def = job(t);
    const succeeded = waitFor(s, 'execution:succeeded', (e) => e.jobId === def.id);
    await s.submitJob(def);
    const done = await succeeded;
    expect(done.result).toMatchObject({ stream, msgId: done.executionId, duplicate: false });
    const msg = await jsm.streams.getMessage(stream, { last_by_subj: t.subject });
    expect(msg?.header.get('Nats-Msg-Id')).toBe(done.executionId);
    expect(msg?.string()).toBe('hello');
    expect(await stored(t.subject)).toBe(1);
  });

  it('stores one message when an attempt that reached the stream is retried', async () => {
    // The first attempt publishes, then fails as if its ack had been lost on the way back.
    const real = natsExecutor();
    const ackLost: Executor<NatsTarget> = {
      ...real,
      async run(t, ctx) {
        const result = await real.run(t, ctx);
        if (ctx.attempt === 1) throw new Error('ack lost on the way back');
        return result;
      },
    };
    const s = await startScheduler(ackLost as Executor);
    const t = target({ subject: subject('js'), jetstream: true });
    const def = job(t);
    const succeeded = waitFor(s, 'execution:succeeded', (e) => e.jobId === def.id);
    await s.submitJob(def);
    const done = await succeeded;
    expect(done.attempt).toBe(2);
    expect(done.result).toMatchObject({ duplicate: true, seq: expect.any(Number) });
    expect(await stored(t.subject)).toBe(1);
    // a different execution is a different message
    await real.run(t, context());
    expect(await stored(t.subject)).toBe(2);
  });

  it('rejects a JetStream publish to a subject no stream takes', async () => {
    const executor = natsExecutor();
    await expect(executor.run(target({ jetstream: true }), context())).rejects.toMatchObject({
      code: 'CHIME_ERR_TARGET_REJECTED',
      message: expect.stringMatching(/no JetStream stream/),
    });
    await executor.close?.();
  });

  it('retries an attempt whose server is unreachable and succeeds with the same id', async () => {
    const s = await startScheduler();
    const t = target({ servers: [viaProxy()], subject: subject('js'), jetstream: true });
    const def = job(t);
    proxy.block();
    s.on('execution:failed', (e) => {
      if (e.jobId === def.id) proxy.unblock();
    });
    const failed = waitFor(s, 'execution:failed', (e) => e.jobId === def.id);
    const succeeded = waitFor(s, 'execution:succeeded', (e) => e.jobId === def.id);
    await s.submitJob(def);
    expect((await failed).error).toMatchObject({ code: 'CHIME_ERR_TARGET_UNREACHABLE' });
    const done = await succeeded;
    expect(done.attempt).toBe(2);
    const msg = await jsm.streams.getMessage(stream, { last_by_subj: t.subject });
    expect(msg?.header.get('Nats-Msg-Id')).toBe(done.executionId);
    expect(await stored(t.subject)).toBe(1);
  });

  it('reconnects after the connection is cut between two executions', async () => {
    const s = await startScheduler();
    const t = target({ servers: viaProxy() });
    const got = listen(t.subject);
    await nc.flush();
    const first = job(t);
    const firstDone = waitFor(s, 'execution:succeeded', (e) => e.jobId === first.id);
    await s.submitJob(first);
    const a = await firstDone;
    expect(proxy.openSockets).toBeGreaterThan(0);
    proxy.cut();
    const second = job(t);
    const secondDone = waitFor(s, 'execution:succeeded', (e) => e.jobId === second.id, 15_000);
    await s.submitJob(second);
    const b = await secondDone;
    await until(() => got.length >= 2, 5_000, 'both messages');
    expect(got.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual([a.executionId, b.executionId]);
    expect(proxy.openSockets).toBeGreaterThan(0);
  });

  it('holds a publish back while the client reconnects, bounded by the signal', async () => {
    const executor = natsExecutor();
    try {
      const t = target({ servers: viaProxy() });
      const got = listen(t.subject);
      await nc.flush();
      await executor.run(t, context());
      proxy.block();
      proxy.cut();
      const held = await untilHeldBack(executor, t);
      // once the server is back, a waiting publish goes out, once
      const ctx = context();
      const waiting = executor.run(t, ctx);
      setTimeout(() => proxy.unblock(), 300);
      await waiting;
      await until(() => got.some((m) => m.headers?.get('Nats-Msg-Id') === ctx.executionId), 5_000);
      await nc.flush();
      expect(got.filter((m) => m.headers?.get('Nats-Msg-Id') === ctx.executionId)).toHaveLength(1);
      // the aborted attempt left nothing in the client's buffer to be sent late
      expect(got.filter((m) => m.headers?.get('Nats-Msg-Id') === held)).toEqual([]);
    } finally {
      await executor.close?.();
    }
  });

  it('fails a waiting publish once the client gives up reconnecting, then opens a new connection', async () => {
    const executor = natsExecutor();
    try {
      const t = target({ servers: viaProxy() });
      await executor.run(t, context());
      proxy.block();
      proxy.cut();
      await untilHeldBack(executor, t);
      // the client retries for about ten seconds (10 attempts, 1 s apart), then closes
      await expect(executor.run(t, context())).rejects.toMatchObject({
        code: 'CHIME_ERR_TARGET_UNREACHABLE',
        message: expect.stringMatching(/is gone: the connection was closed/),
      });
      proxy.unblock();
      await expect(executor.run(t, context())).resolves.toMatchObject({ subject: t.subject });
    } finally {
      await executor.close?.();
    }
  }, 30_000);

  it('ends an attempt timed_out at the job timeout while the server never answers', async () => {
    const silentServer = await mute();
    try {
      const s = await startScheduler();
      const t = target({ servers: `nats://127.0.0.1:${silentServer.port}` });
      const def = job(t, { timeout: 300, retry: { maxAttempts: 1 } });
      const started = waitFor(s, 'execution:started', (e) => e.jobId === def.id);
      const dead = waitFor(s, 'execution:dead', (e) => e.jobId === def.id);
      await s.submitJob(def);
      const { startedAt, executionId } = await started;
      const { error } = await dead;
      const endedAfter = Date.now() - startedAt.getTime();
      expect(error.code).toBe('CHIME_ERR_ATTEMPT_TIMEOUT');
      expect(endedAfter).toBeGreaterThanOrEqual(250);
      expect(endedAfter).toBeLessThan(3_000);
      const execution = await s.getExecution(executionId);
      expect(execution?.attempts.map((a) => a.outcome)).toEqual(['timed_out']);
    } finally {
      await silentServer.stop();
    }
  });

  it("fails at the target's own timeout", async () => {
    const silentServer = await mute();
    const executor = natsExecutor();
    try {
      const t = target({ servers: `nats://127.0.0.1:${silentServer.port}`, timeout: '200ms' });
      const t0 = Date.now();
      await expect(executor.run(t, context())).rejects.toMatchObject({
        code: 'CHIME_ERR_TARGET_UNREACHABLE',
      });
      expect(Date.now() - t0).toBeLessThan(1_500);
    } finally {
      await executor.close?.();
      await silentServer.stop();
    }
  });

  it('closes its connections on close(), and opens a new one when used again', async () => {
    const executor = natsExecutor();
    const t = target({ servers: viaProxy() });
    await executor.run(t, context());
    expect(proxy.openSockets).toBeGreaterThan(0);
    await executor.close?.();
    await until(() => proxy.openSockets === 0, 5_000, 'the proxied connection to close');
    await executor.run(t, context());
    expect(proxy.openSockets).toBeGreaterThan(0);
    await executor.close?.();
    await until(() => proxy.openSockets === 0, 5_000, 'the proxied connection to close');
  });

  it('marks server URLs and credentials secret in its schema', () => {
    const t = target({
      servers: 'nats://app:s3cret@nats:4222',
      auth: { user: 'app', password: 'pa55word' },
    });
    const redacted = JSON.stringify(redactSecrets(NatsTargetSchema, t));
    expect(redacted).not.toContain('s3cret');
    expect(redacted).not.toContain('pa55word');
    const withToken = redactSecrets(NatsTargetSchema, target({ auth: { token: 't0ken' } }));
    expect(JSON.stringify(withToken)).not.toContain('t0ken');
  });
  it('redacts passwords in a list of servers', () => {
    const t = target({ servers: ['nats://app:s3cret@a:4222', 'nats://app:s3cret@b:4222'] });
    const redacted = redactSecrets(NatsTargetSchema, t) as { servers: string[] };
    expect(JSON.stringify(redacted)).not.toContain('s3cret');
    expect(redacted.servers).toHaveLength(2);
  });

  describe('bad target definitions', () => {
    const good = { type: 'nats', servers: SERVER, subject: 'orders.created' };
    const BAD: BadTarget[] = [
      ['no servers', omit(good, 'servers'), 'CHIME_ERR_MISSING_FIELD', '/target/servers'],
      [
        'an http server',
        { ...good, servers: 'http://n' },
        'CHIME_ERR_INVALID_INPUT',
        '/target/servers',
      ],
      [
        'a bad server in a list',
        { ...good, servers: [SERVER, 'n:4222'] },
        'CHIME_ERR_INVALID_INPUT',
        '/target/servers/1',
      ],
      [
        'no servers in a list',
        { ...good, servers: [] },
        'CHIME_ERR_INVALID_INPUT',
        '/target/servers',
      ],
      [
        'a token in a URL',
        { ...good, servers: 'nats://t0ken@n:4222' },
        'CHIME_ERR_INVALID_INPUT',
        '/target/servers',
      ],
      [
        'mixed schemes',
        { ...good, servers: [SERVER, 'tls://n:4222'] },
        'CHIME_ERR_INVALID_INPUT',
        '/target/servers/1',
      ],
      ['no subject', omit(good, 'subject'), 'CHIME_ERR_MISSING_FIELD', '/target/subject'],
      [
        'a wildcard subject',
        { ...good, subject: 'orders.*' },
        'CHIME_ERR_INVALID_INPUT',
        '/target/subject',
      ],
      [
        'an empty token',
        { ...good, subject: 'orders..x' },
        'CHIME_ERR_INVALID_INPUT',
        '/target/subject',
      ],
      [
        'a numeric header',
        { ...good, headers: { a: 1 } },
        'CHIME_ERR_INVALID_INPUT',
        '/target/headers/a',
      ],
      [
        'Nats-Msg-Id as a header',
        { ...good, headers: { 'nats-msg-id': 'x' } },
        'CHIME_ERR_INVALID_INPUT',
        '/target/headers/nats-msg-id',
      ],
      [
        'jetstream as text',
        { ...good, jetstream: 'yes' },
        'CHIME_ERR_INVALID_INPUT',
        '/target/jetstream',
      ],
      [
        'token and user',
        { ...good, auth: { token: 't', user: 'u', password: 'p' } },
        'CHIME_ERR_INVALID_INPUT',
        '/target/auth/token',
      ],
      [
        'a password without user',
        { ...good, auth: { password: 'p' } },
        'CHIME_ERR_MISSING_FIELD',
        '/target/auth/user',
      ],
      [
        'an unknown auth field',
        { ...good, auth: { jwt: 'x' } },
        'CHIME_ERR_UNKNOWN_FIELD',
        '/target/auth/jwt',
      ],
      [
        'a bad timeout',
        { ...good, timeout: 'soon' },
        'CHIME_ERR_DURATION_INVALID',
        '/target/timeout',
      ],
      ['an unknown field', { ...good, stream: 'S' }, 'CHIME_ERR_UNKNOWN_FIELD', '/target/stream'],
    ];
    refusesBadTargets(
      BAD,
      () =>
        (scheduler = createScheduler({
          store: memoryStore(),
          logger: silent,
          executors: [natsExecutor()],
        })),
    );
  });
});

describe('nats endpoints', () => {
  it('reads host:port, TLS and credentials from the server URLs, auth taking precedence', () => {
    expect(natsEndpoint(['nats://app:p%40ss@n1', 'nats://n2:4333'])).toEqual({
      servers: ['n1:4222', 'n2:4333'],
      tls: false,
      user: 'app',
      pass: 'p@ss',
    });
    expect(natsEndpoint('tls://[::1]:4222', { token: 't' })).toEqual({
      servers: ['[::1]:4222'],
      tls: true,
      token: 't',
    });
    expect(natsEndpoint('nats://a:b@n', { user: 'u', password: 'p' })).toMatchObject({
      user: 'u',
      pass: 'p',
    });
  });
});

/** A copy of `object` without `key`. */
function omit(object: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));
}

/** A TCP server that accepts connections and never says a word: a hung server. */
async function mute(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
