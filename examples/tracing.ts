/**
 * chime's attempts in OpenTelemetry: every attempt is a span, and the HTTP
 * call it makes carries the span's W3C `traceparent`, so the receiver's work
 * joins the same trace.
 *
 *   tsx examples/tracing.ts [deliveries]   # default 2
 *
 * chime depends on `@opentelemetry/api` only; the SDK is the application's
 * choice. Here it is the SDK's tracer provider with a processor that prints
 * each span (an application would use `@opentelemetry/sdk-node` and an OTLP
 * exporter), the W3C propagator, and a context manager. A receiver on
 * 127.0.0.1 prints the `traceparent` of each call; a job calls it every second.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createScheduler, every, memoryStore } from '../src/index.js';

const deliveries = Number(process.argv[2] ?? 2);

// The SDK: registered once, before the scheduler starts.
const printer = new SimpleSpanProcessor({
  export(spans, done) {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      const a = span.attributes;
      console.log(
        `span "${span.name}" 00-${traceId}-${spanId}-01: job ${String(a['chime.job.id'])}, attempt ${String(a['chime.attempt'])}, ${String(a['chime.outcome'])}`,
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: async () => undefined,
});
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [printer] }));
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

let received = 0;
let allDone!: () => void;
const finished = new Promise<void>((resolve) => (allDone = resolve));
const receiver = createServer((req, res) => {
  console.log(`received traceparent ${String(req.headers['traceparent'])}`);
  res.writeHead(204).end();
  if (++received === deliveries) allDone();
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/traced`;
console.log(`receiver on ${url}`);

const scheduler = createScheduler({ store: memoryStore() });
await scheduler.start();
await scheduler.ensureJob({
  id: 'traced-ping',
  schedule: every('1s'),
  target: { type: 'http', url },
});

await finished;
await scheduler.stop();
receiver.close();
receiver.closeAllConnections();
console.log('stopped');
