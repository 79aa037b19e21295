import { runBounded } from '../abort.js';
import { headers as natsHeaders, RequestError, type MsgHdrs } from '@nats-io/transport-node';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { ChimeError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import type { ExecutionContext, Executor } from '../executor.js';
import { natsEndpoint, NatsConnections, type NatsEndpoint, type NatsLink } from './connections.js';
import { NATS_CHIME_HEADERS, NatsTargetSchema, type NatsTarget } from './schema.js';
import { traceHeaders } from '../trace-headers.js';

/**
 * How long a JetStream publish waits for the stream's ack when the target sets
 * no `timeout`. A publish that timed out is retried like any failed attempt;
 * `Nats-Msg-Id` keeps the stream from storing it twice.
 */
const PUBACK_TIMEOUT_MS = 10_000;

/** What a nats attempt records as its result. */
export interface NatsResult {
  readonly subject: string;
  /** The `Nats-Msg-Id` header: the execution id. */
  readonly msgId: string;
  /** JetStream only: the stream that stored the message, its sequence, and whether it was a duplicate. */
  readonly stream?: string;
  readonly seq?: number;
  readonly duplicate?: boolean;
}

/** One message of one attempt. */
interface NatsMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs;
  readonly msgId: string;
}

/**
 * The `nats` executor: publishes one message per attempt on a pooled
 * connection. Core NATS succeeds once the server has the message (a flush);
 * JetStream once the stream acks it, a duplicate ack included (the execution
 * id is the `Nats-Msg-Id`, so a retry inside the stream's duplicate window is
 * stored once). Fails with `CHIME_ERR_TARGET_REJECTED` when JetStream refuses
 * the message or no stream takes the subject, and with
 * `CHIME_ERR_TARGET_UNREACHABLE` when no server answers, the connection closes,
 * or the ack does not come in time. Waits for a reconnect in progress, and
 * stops as soon as the attempt's signal aborts.
 */
export function natsExecutor(): Executor<NatsTarget> {
  const connections = new NatsConnections();
  return {
    type: 'nats',
    schema: NatsTargetSchema,
    validate: validateNatsTarget,
    run(target, ctx) {
      const endpoint = natsEndpoint(target.servers, target.auth);
      return runBounded(
        ctx.signal,
        target.timeout,
        (signal) => publish(connections, endpoint, target, ctx, signal),
        () => abortReason(target, ctx, endpoint),
      );
    },
    close: () => connections.close(),
  };
}

/** Publishes the attempt's message once connected: core with a flush, or JetStream with its ack. */
async function publish(
  connections: NatsConnections,
  endpoint: NatsEndpoint,
  target: NatsTarget,
  ctx: ExecutionContext,
  signal: AbortSignal,
): Promise<NatsResult> {
  const where = endpoint.servers.join(', ');
  const link = await connections.link(endpoint).catch((err: unknown) => {
    throw unreachable(`cannot connect to the NATS servers ${where}: ${message(err)}`, err);
  });
  await link.ready().catch((err: unknown) => {
    throw unreachable(`the connection to the NATS servers ${where} is gone: ${message(err)}`, err);
  });
  signal.throwIfAborted(); // connected after the attempt ended: publish nothing
  const msg = natsMessage(target, ctx);
  return target.jetstream === true
    ? await publishJetStream(link, msg, target, where)
    : await publishCore(link, msg, where);
}

/** Checks beyond the schema: servers, credentials, the timeout, and no header chime sets itself. */
export function validateNatsTarget(target: NatsTarget, path: string): void {
  if (target.timeout !== undefined) parseDuration(target.timeout, `${path}/timeout`);
  validateServers(target.servers, `${path}/servers`);
  if (target.auth) validateAuth(target.auth, `${path}/auth`);
  const reserved = NATS_CHIME_HEADERS.map((h) => h.toLowerCase());
  for (const name of Object.keys(target.headers ?? {})) {
    if (reserved.includes(name.toLowerCase())) {
      throw invalid(`header "${name}" is set by chime on every message`, `${path}/headers/${name}`);
    }
  }
}

function validateServers(servers: NatsTarget['servers'], path: string): void {
  const list = Array.isArray(servers) ? servers : [servers];
  const at = (i: number) => (Array.isArray(servers) ? `${path}/${i}` : path);
  list.forEach((server, i) => {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      // The text is not echoed: it may hold a password.
      throw invalid('not a server URL: use nats://host:4222 or tls://host:4222', at(i));
    }
    if (url.hostname === '') throw invalid('a server URL must name a host', at(i));
    if (url.username !== '' && url.password === '') {
      // a token in the user part of a URL would not be redacted: it belongs in auth.token
      throw invalid('put a token in auth.token, not in the server URL', at(i));
    }
    if (url.protocol !== new URL(list[0] as string).protocol) {
      throw invalid('all servers must use the same scheme (nats:// or tls://)', at(i));
    }
  });
}

function validateAuth(auth: NonNullable<NatsTarget['auth']>, path: string): void {
  if (auth.token !== undefined && (auth.user !== undefined || auth.password !== undefined)) {
    throw invalid('auth takes a token, or a user and a password, not both', `${path}/token`);
  }
  if (auth.password !== undefined && auth.user === undefined) {
    throw new ChimeError('CHIME_ERR_MISSING_FIELD', 'a password needs a user', {
      path: `${path}/user`,
    });
  }
  if (auth.token === undefined && auth.user === undefined) {
    throw new ChimeError(
      'CHIME_ERR_MISSING_FIELD',
      'auth needs a token, or a user and a password',
      {
        path: `${path}/token`,
      },
    );
  }
}

/** The message of one attempt: the body, chime's headers, `Nats-Msg-Id` = the execution id. */
function natsMessage(target: NatsTarget, ctx: ExecutionContext): NatsMessage {
  const h = natsHeaders();
  for (const [name, value] of Object.entries(target.headers ?? {})) h.set(name, value);
  h.set('Nats-Msg-Id', ctx.executionId);
  h.set('Chime-Job-Id', ctx.job.id);
  h.set('Chime-Fire-At', ctx.fireAt.toISOString());
  h.set('Chime-Attempt', String(ctx.attempt));
  for (const [name, value] of Object.entries(traceHeaders(ctx))) h.set(name, value);
  if (ctx.backfill === true) h.set('Chime-Backfill', 'true');
  const body = target.body ?? JSON.stringify(ctx.payload ?? null);
  return { subject: target.subject, data: Buffer.from(body), headers: h, msgId: ctx.executionId };
}

/** Core NATS: publish, then a flush round trip, so the server has the message. */
async function publishCore(link: NatsLink, msg: NatsMessage, where: string): Promise<NatsResult> {
  try {
    link.connection.publish(msg.subject, msg.data, { headers: msg.headers });
    await link.connection.flush();
  } catch (err) {
    throw unreachable(`publishing to ${where} failed: ${message(err)}`, err);
  }
  return { subject: msg.subject, msgId: msg.msgId };
}

/** JetStream: publish with the execution id as msgID and wait for the stream's ack. */
async function publishJetStream(
  link: NatsLink,
  msg: NatsMessage,
  target: NatsTarget,
  where: string,
): Promise<NatsResult> {
  const timeout =
    target.timeout === undefined
      ? PUBACK_TIMEOUT_MS
      : parseDuration(target.timeout, '/target/timeout');
  try {
    const ack = await link
      .jetstream()
      .publish(msg.subject, msg.data, { msgID: msg.msgId, headers: msg.headers, timeout });
    return {
      subject: msg.subject,
      msgId: msg.msgId,
      stream: ack.stream,
      seq: ack.seq,
      duplicate: ack.duplicate,
    };
  } catch (err) {
    throw jetStreamFailure(err, msg.subject, where);
  }
}

/** The error a failed JetStream publish fails its attempt with. */
function jetStreamFailure(err: unknown, subject: string, where: string): ChimeError {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof RequestError && cause.isNoResponders()) {
    return new ChimeError(
      'CHIME_ERR_TARGET_REJECTED',
      `no JetStream stream at ${where} takes subject "${subject}" (no responders)`,
      { cause: err },
    );
  }
  if (err instanceof JetStreamApiError || err instanceof JetStreamError) {
    return new ChimeError(
      'CHIME_ERR_TARGET_REJECTED',
      `JetStream at ${where} refused the message on "${subject}": ${err.message}`,
      { cause: err },
    );
  }
  return unreachable(`no JetStream ack from ${where} for "${subject}": ${message(err)}`, err);
}

/** Why the attempt stopped: the attempt's own reason, else the target's timeout. */
function abortReason(target: NatsTarget, ctx: ExecutionContext, endpoint: NatsEndpoint): unknown {
  if (ctx.signal.aborted) return ctx.signal.reason;
  const where = endpoint.servers.join(', ');
  return unreachable(
    `no answer from the NATS servers ${where} within the target's timeout of ${String(target.timeout)}`,
  );
}

function invalid(text: string, path: string): ChimeError {
  return new ChimeError('CHIME_ERR_INVALID_INPUT', text, { path });
}

function unreachable(text: string, cause?: unknown): ChimeError {
  return new ChimeError('CHIME_ERR_TARGET_UNREACHABLE', text, { cause });
}

function message(err: unknown): string {
  if (err === undefined) return 'no reason given';
  return err instanceof Error ? err.message : String(err);
}
