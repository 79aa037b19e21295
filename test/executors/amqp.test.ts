import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import {
  createScheduler,
  memoryStore,
  once,
  type ExecutionContext,
  type Job,
  type JobDefinition,
  type Scheduler,
} from '../../src/index.js';
import { amqpExecutor, AmqpTargetSchema, type AmqpTarget } from '../../src/executors/amqp/index.js';
import { redactSecrets } from '../../src/model/secrets.js';
import { until, waitFor } from '../helpers/events.js';
import { silent } from '../helpers/scheduler.js';
import { SERVICES, serviceAvailable, uniqueName } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { refusesBadTargets, type BadTarget } from '../helpers/bad-targets.js';

const up = await serviceAvailable('rabbitmq');
const BROKER = SERVICES.rabbitmq.url;

describe.skipIf(!up)('amqp target (RabbitMQ on 127.0.0.1:5672)', () => {
  const exchange = uniqueName('chime_x');
  const queues: string[] = [];
  let admin: ChannelModel;
  let channel: Channel;
  let proxy: TcpProxy;
  let scheduler: Scheduler | undefined;

  beforeAll(async () => {
    admin = await connect(BROKER);
    channel = await admin.createChannel();
    await channel.assertExchange(exchange, 'direct', { durable: false });
    proxy = await new TcpProxy(SERVICES.rabbitmq.host, SERVICES.rabbitmq.port).start();
  });
  afterAll(async () => {
    for (const queue of queues) await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
    await admin.close();
    await proxy.stop();
  });
  afterEach(async () => {
    await scheduler?.stop({ timeoutMs: 0 });
    scheduler = undefined;
    proxy.unblock();
  });

  /** A new queue bound to the test exchange with `routingKey` (deleted after the file). */
  async function boundQueue(routingKey: string): Promise<string> {
    const queue = uniqueName('chime_q');
    queues.push(queue);
    await channel.assertQueue(queue, { durable: false });
    await channel.bindQueue(queue, exchange, routingKey);
    return queue;
  }

  /** Takes `count` messages off `queue`, then checks nothing else is there. */
  async function take(queue: string, count = 1): Promise<GetMessage[]> {
    const got: GetMessage[] = [];
    await until(
      async () => {
        const message = await channel.get(queue, { noAck: true });
        if (message) got.push(message);
        return got.length >= count;
      },
      10_000,
      `${count} message(s) on ${queue}`,
    );
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    return got;
  }

  function target(fields: Partial<AmqpTarget> = {}): AmqpTarget {
    return { type: 'amqp', url: BROKER, exchange, routingKey: uniqueName('key'), ...fields };
  }

  function viaProxy(): string {
    return `amqp://guest:guest@127.0.0.1:${proxy.port}`;
  }

  /** A started scheduler on a memory store and the real clock, running only `amqpExecutor()`. */
  async function startScheduler(): Promise<Scheduler> {
    scheduler = createScheduler({
      store: memoryStore(),
      logger: silent,
      executors: [amqpExecutor()],
    });
    await scheduler.start();
    return scheduler;
  }

  /** A one-shot job 50 ms from now with quick, unjittered retries. */
  function job(t: AmqpTarget, extra: Partial<JobDefinition> = {}): JobDefinition {
    return {
      id: uniqueName('job'),
      schedule: once(new Date(Date.now() + 50)),
      // the built-in Target union does not list amqp yet; the executor is registered here
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

  it('publishes the payload with messageId = execution id, chime headers and confirms', async () => {
    const s = await startScheduler();
    const t = target({ headers: { tenant: 'acme', priority: 3, urgent: true } });
    const queue = await boundQueue(t.routingKey);
    const def = job(t);
    const succeeded = waitFor(s, 'execution:succeeded', (e) => e.jobId === def.id);
    await s.submitJob(def);
    const done = await succeeded;
    const [message] = await take(queue);
    expect(message?.properties.messageId).toBe(done.executionId);
    expect(message?.properties.contentType).toBe('application/json');
    expect(message?.properties.deliveryMode).toBe(2);
    expect(JSON.parse(message?.content.toString() ?? '')).toEqual(def.payload);
    expect(message?.properties.headers).toMatchObject({
      tenant: 'acme',
      priority: 3,
      urgent: true,
      'x-chime-job-id': def.id,
      'x-chime-fire-at': done.fireAt.toISOString(),
      'x-chime-attempt': 1,
    });
    expect(done.result).toEqual({
      exchange,
      routingKey: t.routingKey,
      messageId: done.executionId,
    });
  });

  it("sends the target's body and content type, transient when persistent is false", async () => {
    const executor = amqpExecutor();
    const t = target({ body: 'plain text', contentType: 'text/plain', persistent: false });
    const queue = await boundQueue(t.routingKey);
    await executor.run(t, context());
    const [message] = await take(queue);
    expect(message?.content.toString()).toBe('plain text');
    expect(message?.properties.contentType).toBe('text/plain');
    expect(message?.properties.deliveryMode).toBe(1);
    await executor.close?.();
  });

  it('fails an unroutable mandatory message, then succeeds with the same id once a queue is bound', async () => {
    // A nack needs a broker-side failure (an internal queue error) that a test cannot provoke
    // reliably; an unroutable mandatory message exercises the same "no clean ack" path.
    const s = await startScheduler();
    const t = target();
    const def = job(t, { retry: { maxAttempts: 3, initialDelay: 500, jitter: false } });
    const bound: string[] = [];
    s.on('execution:failed', (e) => {
      if (e.jobId === def.id) void boundQueue(t.routingKey).then((q) => bound.push(q));
    });
    const succeeded = waitFor(s, 'execution:succeeded', (e) => e.jobId === def.id);
    await s.submitJob(def);
    const done = await succeeded;
    expect(done.attempt).toBe(2);
    const execution = await s.getExecution(done.executionId);
    expect(execution?.attempts[0]?.error).toMatchObject({ code: 'CHIME_ERR_TARGET_REJECTED' });
    expect(execution?.attempts[0]?.error?.message).toMatch(/^unroutable/);
    const [message] = await take(bound[0] as string);
    expect(message?.properties.messageId).toBe(done.executionId);
    expect(message?.properties.headers?.['x-chime-attempt']).toBe(2);
  });

  it('lets the broker drop an unroutable message when mandatory is false', async () => {
    const executor = amqpExecutor();
    await expect(executor.run(target({ mandatory: false }), context())).resolves.toBeDefined();
    await executor.close?.();
  });

  it('rejects a publish to a missing exchange, and the next publish gets a fresh channel', async () => {
    const executor = amqpExecutor();
    const missing = target({ exchange: uniqueName('chime_missing') });
    await expect(executor.run(missing, context())).rejects.toMatchObject({
      code: 'CHIME_ERR_TARGET_REJECTED',
      message: expect.stringMatching(/NOT_FOUND/),
    });
    const t = target();
    const queue = await boundQueue(t.routingKey);
    const ctx = context();
    await executor.run(t, ctx);
    expect((await take(queue))[0]?.properties.messageId).toBe(ctx.executionId);
    await executor.close?.();
  });

  it('retries an attempt whose broker is unreachable and succeeds with the same id', async () => {
    const s = await startScheduler();
    const t = target({ url: viaProxy() });
    const queue = await boundQueue(t.routingKey);
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
    expect((await take(queue))[0]?.properties.messageId).toBe(done.executionId);
  });

  it('reconnects after the connection is cut between two executions', async () => {
    const s = await startScheduler();
    const t = target({ url: viaProxy() });
    const queue = await boundQueue(t.routingKey);
    const first = job(t);
    const firstDone = waitFor(s, 'execution:succeeded', (e) => e.jobId === first.id);
    await s.submitJob(first);
    const a = await firstDone;
    expect(proxy.openSockets).toBeGreaterThan(0);
    proxy.cut();
    const second = job(t);
    const secondDone = waitFor(s, 'execution:succeeded', (e) => e.jobId === second.id);
    await s.submitJob(second);
    const b = await secondDone;
    const ids = (await take(queue, 2)).map((m) => m.properties.messageId as string);
    expect(ids).toEqual([a.executionId, b.executionId]);
    expect(proxy.openSockets).toBeGreaterThan(0);
  });

  it('ends an attempt timed_out at the job timeout while the broker never answers', async () => {
    const silentBroker = await silentServer();
    try {
      const s = await startScheduler();
      const t = target({ url: `amqp://guest:guest@127.0.0.1:${silentBroker.port}` });
      const def = job(t, { timeout: 300, retry: { maxAttempts: 1 } });
      const started = waitFor(s, 'execution:started', (e) => e.jobId === def.id);
      const dead = waitFor(s, 'execution:dead', (e) => e.jobId === def.id);
      await s.submitJob(def);
      const { startedAt } = await started;
      const { error } = await dead;
      const endedAfter = Date.now() - startedAt.getTime();
      expect(error.code).toBe('CHIME_ERR_ATTEMPT_TIMEOUT');
      expect(endedAfter).toBeGreaterThanOrEqual(250);
      expect(endedAfter).toBeLessThan(3_000);
      const execution = await s.getExecution((await started).executionId);
      expect(execution?.attempts.map((a) => a.outcome)).toEqual(['timed_out']);
    } finally {
      await silentBroker.stop();
    }
  });

  it("rejects at once with the signal's reason, and at the target's own timeout", async () => {
    const silentBroker = await silentServer();
    const executor = amqpExecutor();
    try {
      const url = `amqp://guest:guest@127.0.0.1:${silentBroker.port}`;
      const controller = new AbortController();
      const reason = new Error('lease lost');
      const t0 = Date.now();
      setTimeout(() => controller.abort(reason), 100);
      await expect(
        executor.run(target({ url }), context({ signal: controller.signal })),
      ).rejects.toBe(reason);
      expect(Date.now() - t0).toBeLessThan(1_500);
      const t1 = Date.now();
      await expect(
        executor.run(target({ url, timeout: '200ms' }), context()),
      ).rejects.toMatchObject({ code: 'CHIME_ERR_TARGET_UNREACHABLE' });
      expect(Date.now() - t1).toBeLessThan(1_500);
    } finally {
      await executor.close?.();
      await silentBroker.stop();
    }
  });

  it('closes its connections on close(), and opens a new one when used again', async () => {
    const executor = amqpExecutor();
    const t = target({ url: viaProxy() });
    const queue = await boundQueue(t.routingKey);
    await executor.run(t, context());
    expect(proxy.openSockets).toBeGreaterThan(0);
    await executor.close?.();
    await until(() => proxy.openSockets === 0, 5_000, 'the proxied connection to close');
    await executor.run(t, context());
    expect(proxy.openSockets).toBeGreaterThan(0);
    await executor.close?.();
    await until(() => proxy.openSockets === 0, 5_000, 'the proxied connection to close');
    await take(queue, 2);
  });

  it('marks the URL secret in its schema', () => {
    const redacted = redactSecrets(
      AmqpTargetSchema,
      target({ url: 'amqp://app:s3cret@mq:5672/v' }),
    );
    expect(JSON.stringify(redacted)).not.toContain('s3cret');
    expect((redacted as AmqpTarget).url).toBe('amqp://app:[redacted]@mq:5672/v');
  });

  describe('bad target definitions', () => {
    const good = { type: 'amqp', url: BROKER, exchange: 'x', routingKey: 'k' };
    const BAD: BadTarget[] = [
      ['no url', omit(good, 'url'), 'CHIME_ERR_MISSING_FIELD', '/target/url'],
      ['an http url', { ...good, url: 'http://mq' }, 'CHIME_ERR_INVALID_INPUT', '/target/url'],
      ['no routing key', omit(good, 'routingKey'), 'CHIME_ERR_MISSING_FIELD', '/target/routingKey'],
      [
        'a long routing key',
        { ...good, routingKey: 'k'.repeat(256) },
        'CHIME_ERR_INVALID_INPUT',
        '/target/routingKey',
      ],
      [
        'a bad exchange name',
        { ...good, exchange: 'no spaces' },
        'CHIME_ERR_INVALID_INPUT',
        '/target/exchange',
      ],
      [
        'an object header',
        { ...good, headers: { a: { b: 1 } } },
        'CHIME_ERR_INVALID_INPUT',
        '/target/headers/a',
      ],
      [
        'a chime header',
        { ...good, headers: { 'X-Chime-Attempt': 9 } },
        'CHIME_ERR_INVALID_INPUT',
        '/target/headers/X-Chime-Attempt',
      ],
      [
        'persistent as text',
        { ...good, persistent: 'yes' },
        'CHIME_ERR_INVALID_INPUT',
        '/target/persistent',
      ],
      [
        'mandatory as a number',
        { ...good, mandatory: 1 },
        'CHIME_ERR_INVALID_INPUT',
        '/target/mandatory',
      ],
      [
        'a bad timeout',
        { ...good, timeout: 'soon' },
        'CHIME_ERR_DURATION_INVALID',
        '/target/timeout',
      ],
      ['an unknown field', { ...good, queue: 'q' }, 'CHIME_ERR_UNKNOWN_FIELD', '/target/queue'],
    ];
    refusesBadTargets(
      BAD,
      () =>
        (scheduler = createScheduler({
          store: memoryStore(),
          logger: silent,
          executors: [amqpExecutor()],
        })),
    );
  });
});

/** A copy of `object` without `key`. */
function omit(object: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));
}

/** A TCP server that accepts connections and never says a word: a hung broker. */
async function silentServer(): Promise<{ port: number; stop(): Promise<void> }> {
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
