/**
 * OpenTelemetry (issue 19, item 8), with the SDK's in-memory exporter on the
 * real stores: one span per attempt with its job, fire time, attempt, lag and
 * outcome; the HTTP target receives a `traceparent` whose trace and span ids
 * are that attempt's span; so do a message published to RabbitMQ and one
 * published on NATS; a handler's own spans are children of its attempt's.
 * First, before any SDK is registered: nothing is sent.
 */
import { context, propagation, trace, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { connect as amqpConnect } from 'amqplib';
import { connect as natsConnect, type Msg } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createScheduler,
  type Execution,
  type JobDefinition,
  type Scheduler,
} from '../src/index.js';
import { until } from './helpers/events.js';
import { RecordingServer } from './helpers/http.js';
import { silent } from './helpers/scheduler.js';
import { SERVICES, serviceAvailable, uniqueName } from './helpers/services.js';
import { storeCases } from './helpers/store-cases.js';

const cases = await storeCases('chime_trace');
const rabbitUp = await serviceAvailable('rabbitmq');
const natsUp = await serviceAvailable('nats');
const exporter = new InMemorySpanExporter();
const receiver = new RecordingServer();
let scheduler: Scheduler | undefined;
let cleanup: (() => Promise<void>) | undefined;

beforeAll(() => receiver.start());
afterEach(async () => {
  await scheduler?.stop({ timeoutMs: 0 });
  await cleanup?.();
  scheduler = undefined;
  cleanup = undefined;
  exporter.reset();
});
afterAll(async () => {
  trace.disable();
  propagation.disable();
  context.disable();
  await receiver.stop();
});

/** Registers the SDK: a tracer provider exporting to memory, the W3C propagator, a context manager. */
function registerSdk(): void {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  expect(trace.setGlobalTracerProvider(provider)).toBe(true);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** A started scheduler on a fresh store of `storeCase`. */
async function started(storeCase: (typeof cases)[number]): Promise<Scheduler> {
  const made = storeCase.make();
  scheduler = createScheduler({ store: made.store, logger: silent });
  cleanup = made.cleanup;
  await scheduler.start();
  return scheduler;
}

/** Triggers the job and waits for its execution to end. */
async function run(s: Scheduler, job: JobDefinition): Promise<Execution> {
  await s.ensureJob(job);
  const { id } = await s.triggerJob(job.id ?? '');
  let done: Execution | null = null;
  await until(
    async () => {
      done = await s.getExecution(id);
      return done !== null && ['succeeded', 'failed'].includes(done.status);
    },
    15_000,
    `execution of ${job.id}`,
  );
  return done as unknown as Execution;
}

const paused = { kind: 'cron', expr: '0 0 1 1 *' } as const;
const hook = (id: string): JobDefinition =>
  ({
    id,
    schedule: paused,
    target: { type: 'http', url: receiver.url(`/${id}`) },
    retry: { maxAttempts: 3, initialDelay: 10, jitter: false },
  }) as unknown as JobDefinition;

/** `00-<trace id>-<span id>-<flags>` of a span. */
function traceparentOf(span: ReadableSpan): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-0${traceFlags}`;
}

const attemptSpans = () => exporter.getFinishedSpans().filter((s) => s.name === 'chime attempt');

describe('tracing', () => {
  it('without an SDK, an attempt sends no traceparent and nothing is recorded', async () => {
    const s = await started(cases[0] ?? (undefined as never));
    receiver.reply = (res) => res.end('ok');
    expect((await run(s, hook('no-sdk'))).status).toBe('succeeded');
    const seen = receiver.seen.filter((r) => r.url === '/no-sdk');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['traceparent']).toBeUndefined();
    registerSdk();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  for (const storeCase of cases.filter((c) => c.name !== 'memory')) {
    describe.skipIf(!storeCase.available)(`on the ${storeCase.name} store`, () => {
      it('one span per attempt, and each HTTP call carries the traceparent of its span', async () => {
        const s = await started(storeCase);
        const id = `traced-${storeCase.name}`;
        let calls = 0;
        receiver.reply = (res) => {
          calls++;
          res.statusCode = calls < 3 ? 500 : 200;
          res.end(calls < 3 ? 'not yet' : 'ok');
        };
        const execution = await run(s, hook(id));
        expect(execution.status).toBe('succeeded');
        const spans = attemptSpans();
        expect(spans).toHaveLength(3);
        const seen = receiver.seen.filter((r) => r.url === `/${id}`);
        expect(seen.map((r) => r.headers['traceparent'])).toEqual(spans.map(traceparentOf));
        expect(spans.map((span) => span.attributes['chime.attempt'])).toEqual([1, 2, 3]);
        expect(spans.map((span) => span.attributes['chime.outcome'])).toEqual([
          'failed',
          'failed',
          'succeeded',
        ]);
        expect(spans.map((span) => span.status.code)).toEqual([
          SpanStatusCode.ERROR,
          SpanStatusCode.ERROR,
          SpanStatusCode.UNSET,
        ]);
        for (const span of spans) {
          expect(span.attributes).toMatchObject({
            'chime.job.id': id,
            'chime.execution.id': execution.id,
            'chime.fire_at': execution.fireAt,
            'chime.trigger': 'manual',
            'chime.target.type': 'http',
          });
          expect(span.attributes['chime.lag_ms']).toBeGreaterThanOrEqual(0);
        }
        // Each attempt is a trace of its own, its span ended once its call returned.
        expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(3);
      });

      it("a handler's own spans are children of its attempt's span", async () => {
        const s = await started(storeCase);
        s.handle('work', async (ctx) => {
          const tracer = trace.getTracer('handler');
          await tracer.startActiveSpan('inner work', async (span) => span.end());
          tracer.startSpan('explicit', {}, ctx.traceContext).end();
        });
        const job = { id: 'handled', schedule: paused, target: { type: 'handler', name: 'work' } };
        expect((await run(s, job as JobDefinition)).status).toBe('succeeded');
        const [attempt] = attemptSpans();
        const children = exporter.getFinishedSpans().filter((span) => span !== attempt);
        expect(children.map((span) => span.name).sort()).toEqual(['explicit', 'inner work']);
        for (const child of children)
          expect(child.parentSpanContext?.spanId).toBe(attempt?.spanContext().spanId);
        expect(attempt?.attributes['chime.target.type']).toBe('handler');
      });

      it("a timed-out attempt's span says timeout, with status ERROR and the error recorded", async () => {
        const s = await started(storeCase);
        s.handle(
          'slow',
          (ctx) =>
            new Promise((_, reject) =>
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)),
            ),
        );
        const job = {
          id: 'slow',
          schedule: paused,
          target: { type: 'handler', name: 'slow' },
          timeout: '100ms',
          retry: { maxAttempts: 1 },
        };
        expect((await run(s, job as JobDefinition)).status).toBe('failed');
        const [span, ...others] = attemptSpans();
        expect(others).toEqual([]);
        expect(span?.attributes['chime.outcome']).toBe('timeout');
        expect(span?.status.code).toBe(SpanStatusCode.ERROR);
        expect(span?.status.message).toMatch(/past its timeout of 100 ms/);
        expect(span?.events.map((e) => e.name)).toEqual(['exception']);
      });
    });
  }

  it.skipIf(!rabbitUp)('an AMQP message carries the traceparent of its attempt', async () => {
    const s = await started(cases[1] ?? (undefined as never));
    const admin = await amqpConnect(SERVICES.rabbitmq.url);
    const channel = await admin.createChannel();
    const exchange = uniqueName('chime_trace_x');
    const queue = uniqueName('chime_trace_q');
    try {
      await channel.assertExchange(exchange, 'direct', { durable: false });
      await channel.assertQueue(queue, { durable: false });
      await channel.bindQueue(queue, exchange, 'traced');
      const target = { type: 'amqp', url: SERVICES.rabbitmq.url, exchange, routingKey: 'traced' };
      const job = { id: 'amqp-traced', schedule: paused, target } as unknown as JobDefinition;
      expect((await run(s, job)).status).toBe('succeeded');
      const message = await channel.get(queue, { noAck: true });
      const [span] = attemptSpans();
      expect(span).toBeDefined();
      expect(message && message.properties.headers?.['traceparent']).toBe(
        traceparentOf(span as ReadableSpan),
      );
    } finally {
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
      await admin.close();
    }
  });

  it.skipIf(!natsUp)('a NATS message carries the traceparent of its attempt', async () => {
    const s = await started(cases[1] ?? (undefined as never));
    const nc = await natsConnect({ servers: SERVICES.nats.url });
    try {
      const subject = uniqueName('chime.trace');
      const got: Msg[] = [];
      nc.subscribe(subject, { callback: (_err, msg) => void got.push(msg) });
      await nc.flush();
      const target = { type: 'nats', servers: SERVICES.nats.url, subject };
      const job = { id: 'nats-traced', schedule: paused, target } as unknown as JobDefinition;
      expect((await run(s, job)).status).toBe('succeeded');
      await until(async () => got.length === 1, 5_000, 'the NATS message');
      const [span] = attemptSpans();
      expect(got[0]?.headers?.get('traceparent')).toBe(traceparentOf(span as ReadableSpan));
    } finally {
      await nc.close();
    }
  });
});
