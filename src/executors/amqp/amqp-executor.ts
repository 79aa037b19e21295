import { runBounded } from '../abort.js';
import { ChimeError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import { redactUrl } from '../../model/secrets.js';
import type { ExecutionContext, Executor } from '../executor.js';
import { AmqpConnections, type AmqpMessage, type Confirmation } from './connections.js';
import { AMQP_CHIME_HEADERS, AmqpTargetSchema, type AmqpTarget } from './schema.js';
import { traceHeaders } from '../trace-headers.js';

/** What an amqp attempt records as its result. */
export interface AmqpResult {
  readonly exchange: string;
  readonly routingKey: string;
  /** The message's `messageId`: the execution id. */
  readonly messageId: string;
}

/**
 * The `amqp` executor: publishes one message per attempt on a pooled confirm
 * channel and succeeds once the broker acks it. `messageId` is the execution
 * id (the idempotency key). Fails the attempt with
 * `CHIME_ERR_TARGET_REJECTED` when the broker nacks the message, returns it
 * as unroutable (`mandatory`), or closes the channel (a missing exchange), and
 * with `CHIME_ERR_TARGET_UNREACHABLE` when the broker cannot be reached, the
 * connection drops before the confirm, or the target's `timeout` passes.
 * Stops waiting as soon as the attempt's signal aborts. Connections are pooled
 * per URL and closed by `close()`.
 */
export function amqpExecutor(): Executor<AmqpTarget> {
  const connections = new AmqpConnections();
  return {
    type: 'amqp',
    schema: AmqpTargetSchema,
    validate: validateAmqpTarget,
    run: (target, ctx) =>
      runBounded(
        ctx.signal,
        target.timeout,
        (signal) => publish(connections, target, ctx, signal),
        () => abortReason(target, ctx),
      ),
    close: () => connections.close(),
  };
}

/** Publishes the attempt's message and waits for the broker's confirm. */
async function publish(
  connections: AmqpConnections,
  target: AmqpTarget,
  ctx: ExecutionContext,
  signal: AbortSignal,
): Promise<AmqpResult> {
  const where = redactUrl(target.url);
  const link = await connections.link(target.url).catch((err: unknown) => {
    throw unreachable(`cannot connect to the AMQP broker at ${where}: ${message(err)}`, err);
  });
  signal.throwIfAborted(); // connected after the attempt ended: publish nothing
  failOn(await link.publish(amqpMessage(target, ctx)), target, where);
  return { exchange: target.exchange, routingKey: target.routingKey, messageId: ctx.executionId };
}

/** Checks beyond the schema: a URL that parses, the timeout's syntax, and no header chime sets itself. */
export function validateAmqpTarget(target: AmqpTarget, path: string): void {
  if (!URL.canParse(target.url) || new URL(target.url).hostname === '') {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      'the url must be a URL amqp://[user:password@]host[:port][/vhost] or amqps://…',
      { path: `${path}/url` },
    );
  }
  if (target.timeout !== undefined) parseDuration(target.timeout, `${path}/timeout`);
  for (const name of Object.keys(target.headers ?? {})) {
    if ((AMQP_CHIME_HEADERS as readonly string[]).includes(name.toLowerCase())) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `header "${name}" is set by chime on every message and cannot be set by the target`,
        { path: `${path}/headers/${name}` },
      );
    }
  }
}

/** The message of one attempt: the body, chime's headers and the execution id as messageId. */
export function amqpMessage(target: AmqpTarget, ctx: ExecutionContext): AmqpMessage {
  return {
    exchange: target.exchange,
    routingKey: target.routingKey,
    content: Buffer.from(target.body ?? JSON.stringify(ctx.payload ?? null)),
    options: {
      messageId: ctx.executionId,
      appId: 'chime',
      contentType: target.contentType ?? 'application/json',
      persistent: target.persistent ?? true,
      mandatory: target.mandatory ?? true,
      headers: {
        ...target.headers,
        'x-chime-job-id': ctx.job.id,
        'x-chime-fire-at': ctx.fireAt.toISOString(),
        'x-chime-attempt': ctx.attempt,
        ...traceHeaders(ctx),
        ...(ctx.backfill === true ? { 'x-chime-backfill': true } : {}),
      },
    },
  };
}

/** Throws the error an unconfirmed publish fails its attempt with; returns on an ack. */
function failOn(confirmation: Confirmation, target: AmqpTarget, where: string): void {
  const route = `exchange "${target.exchange}" with routing key "${target.routingKey}"`;
  switch (confirmation.kind) {
    case 'acked':
      return;
    case 'returned':
      throw new ChimeError(
        'CHIME_ERR_TARGET_REJECTED',
        `unroutable: the broker at ${where} returned the message: no queue is bound to ${route} (${confirmation.replyCode} ${confirmation.replyText})`,
      );
    case 'nacked':
      throw new ChimeError(
        'CHIME_ERR_TARGET_REJECTED',
        `the broker at ${where} nacked the message published to ${route}`,
      );
    case 'channel-closed':
      throw new ChimeError(
        'CHIME_ERR_TARGET_REJECTED',
        `the broker at ${where} refused the message published to ${route}: ${message(confirmation.error)}`,
        { cause: confirmation.error },
      );
    case 'connection-lost':
      throw unreachable(
        `the connection to the broker at ${where} was lost before the message was confirmed: ${message(confirmation.error)}`,
        confirmation.error,
      );
  }
}

/** Why the attempt stopped: the attempt's own reason, else the target's timeout. */
function abortReason(target: AmqpTarget, ctx: ExecutionContext): unknown {
  if (ctx.signal.aborted) return ctx.signal.reason;
  const where = redactUrl(target.url);
  return unreachable(
    `no confirm from the broker at ${where} within the target's timeout of ${String(target.timeout)}`,
  );
}

function unreachable(text: string, cause?: unknown): ChimeError {
  return new ChimeError('CHIME_ERR_TARGET_UNREACHABLE', text, { cause });
}

function message(err: unknown): string {
  if (err === undefined) return 'no reason given';
  return err instanceof Error ? err.message : String(err);
}
