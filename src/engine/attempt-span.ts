/**
 * OpenTelemetry: one span per attempt, through `@opentelemetry/api` only. The
 * SDK is the application's choice; until one is registered the tracer is a
 * no-op and the span records nothing (its attributes are not even built).
 * The span's context is the attempt's `ctx.traceContext`, from which the
 * HTTP, AMQP and NATS executors write the `traceparent` of their calls, and
 * it is the active context while the target runs, so a handler's own spans
 * (with a context manager registered) are its children.
 */
import { SpanStatusCode, context, trace, type Context, type Span } from '@opentelemetry/api';
import { isChimeError } from '../errors.js';
import type { Claim } from '../stores/store.js';
import { VERSION } from '../version.js';
import type { AttemptResult } from './outcome.js';

const tracer = trace.getTracer('chime', VERSION);

/** What an attempt's span says about it. */
export interface SpanFacts {
  claim: Claim;
  attempt: number;
  /** `target`, or `onFailure` for the delivery of a failure. */
  which: 'target' | 'onFailure';
  /** The target's type. */
  targetType: string;
  /** When the attempt started (ms); its lag is this less the fire's instant. */
  startedAt: number;
}

/**
 * Runs `call` inside the attempt's span (active, and handed to `call` as its
 * context) and ends the span with the attempt's outcome: attribute
 * `chime.outcome` (`succeeded`, `failed`, `timeout` or `aborted`) and, unless
 * it succeeded, status ERROR with the error recorded.
 */
export async function withAttemptSpan(
  facts: SpanFacts,
  call: (traceContext: Context) => Promise<AttemptResult>,
): Promise<AttemptResult> {
  const span = tracer.startSpan(facts.which === 'target' ? 'chime attempt' : 'chime onFailure', {});
  if (span.isRecording()) span.setAttributes(attributesOf(facts));
  const traceContext = trace.setSpan(context.active(), span);
  try {
    const result = await context.with(traceContext, () => call(traceContext));
    if (span.isRecording()) end(span, result);
    return result;
  } finally {
    span.end();
  }
}

function attributesOf({ claim, attempt, which, targetType, startedAt }: SpanFacts) {
  const { execution, job } = claim;
  return {
    'chime.job.id': job.id,
    'chime.execution.id': execution.id,
    'chime.fire_at': new Date(execution.fireAt).toISOString(),
    'chime.attempt': attempt,
    'chime.lag_ms': Math.max(0, startedAt - execution.fireAt),
    'chime.trigger': execution.trigger,
    'chime.call': which,
    'chime.target.type': targetType,
  };
}

function end(span: Span, result: AttemptResult): void {
  if (result.ok) {
    span.setAttribute('chime.outcome', 'succeeded');
    return;
  }
  const { error } = result;
  const code = isChimeError(error) ? error.code : undefined;
  const outcome =
    code === 'CHIME_ERR_ATTEMPT_TIMEOUT'
      ? 'timeout'
      : code === 'CHIME_ERR_SHUTDOWN' || code === 'CHIME_ERR_LEASE_LOST'
        ? 'aborted'
        : 'failed';
  span.setAttribute('chime.outcome', outcome);
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
