import { context, propagation } from '@opentelemetry/api';
import type { ExecutionContext } from './executor.js';

/**
 * The trace context of an attempt as headers — W3C `traceparent` (and
 * `tracestate`), as the registered propagator writes them. Empty when no
 * OpenTelemetry SDK (propagator) is registered.
 */
export function traceHeaders(ctx: ExecutionContext): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx.traceContext ?? context.active(), carrier);
  return carrier;
}
