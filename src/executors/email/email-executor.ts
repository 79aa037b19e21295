import { createHash } from 'node:crypto';
import nodemailer, {
  type NodemailerError,
  type SendMailOptions,
  type Transporter,
} from 'nodemailer';
import { ChimeError, PermanentError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import { pointerToken } from '../../model/json-value.js';
import type { ExecutionContext, Executor } from '../executor.js';
import { EmailTargetSchema, type EmailTarget } from './schema.js';
import { parseTemplate, render, type TemplateScope } from './template.js';

/** What an email attempt records as its result. */
export interface EmailResult {
  /** The message's `Message-ID`: `<executionId@chime>`. */
  messageId: string;
  /** Recipients the server accepted. */
  accepted: string[];
  /** Recipients the server refused (the message went to the others). */
  rejected: string[];
  /** The server's last reply, e.g. `250 OK: queued`. */
  response: string;
}

/** Header names a target may not set: chime or the message fields set them. */
const RESERVED_HEADERS =
  /^(message-id|from|to|cc|bcc|reply-to|subject|date|mime-version|content-type|content-transfer-encoding|x-chime-.*)$/i;
/** RFC 5322 field names: printable ASCII but the colon. */
const HEADER_NAME = /^[!-9;-~]+$/;
/** Nodemailer errors that mean the server could not be reached or the connection was lost. */
const UNREACHABLE = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EPROXY']);
/** Nodemailer errors that no retry can fix: the target's definition is wrong. */
const MISCONFIGURED = new Set(['ECONFIG', 'ENOAUTH', 'EENVELOPE', 'EMAXRECIPIENTS', 'EREQUIRETLS']);
/** Limits a server that stalls mid-conversation when neither the job nor the target sets a shorter timeout. */
const SOCKET_TIMEOUT_MS = 60_000;

/**
 * The `email` executor: sends each attempt as one message through SMTP
 * (nodemailer), with `Message-ID: <executionId@chime>` so a retry carries the
 * same id, and `X-Chime-Job-Id`, `X-Chime-Fire-At`, `X-Chime-Attempt` headers.
 *
 * Connections are pooled per server and login, and closed by `close()`. The
 * attempt's signal (and the target's `timeout`) abort the send at once and
 * close the connection that carried it. Outcomes: an SMTP 5xx reply (except
 * 503) fails the execution for good (`PermanentError`, the message naming
 * `CHIME_ERR_TARGET_REJECTED`); a 4xx reply is `CHIME_ERR_TARGET_REJECTED`
 * and retried; a connection that fails is `CHIME_ERR_TARGET_UNREACHABLE` and
 * retried. Credentials never appear in errors or logs.
 */
export function emailExecutor(): Executor<EmailTarget> {
  const pools = new Map<string, Transporter>();
  return {
    type: 'email',
    schema: EmailTargetSchema,
    validate: validateEmailTarget,
    async run(target, ctx) {
      const { server, message } = prepare(target, ctx);
      return await send(pooled(pools, server), message, target, ctx, server.label);
    },
    async close() {
      for (const transport of pools.values()) transport.close({ force: true });
      pools.clear();
    },
  };
}

/**
 * Checks what the schema cannot: the SMTP URL, a body, the templates, the
 * header names and the timeout.
 * @throws ChimeError naming the field under `path`.
 */
export function validateEmailTarget(target: EmailTarget, path: string): void {
  smtpServer(target, `${path}/smtp`);
  if (target.text === undefined && target.html === undefined) {
    throw new ChimeError('CHIME_ERR_MISSING_FIELD', 'an email target needs text, html or both', {
      path: `${path}/text`,
    });
  }
  for (const [field, template] of templates(target)) parseTemplate(template, `${path}${field}`);
  for (const name of Object.keys(target.headers ?? {})) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.test(name)) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `header ${JSON.stringify(name)} is not a header name a target may set (Message-ID, the address and subject headers, Content-* and X-Chime-* are set by chime)`,
        { path: `${path}/headers/${pointerToken(name)}` },
      );
    }
  }
  if (target.timeout !== undefined) parseDuration(target.timeout, `${path}/timeout`);
}

/** The server and the message of an attempt; a definition that is not valid (stored before a check existed) fails for good. */
function prepare(
  target: EmailTarget,
  ctx: ExecutionContext,
): { server: SmtpServer; message: SendMailOptions } {
  try {
    return { server: smtpServer(target), message: buildMessage(target, ctx) };
  } catch (err) {
    throw err instanceof ChimeError ? asPermanent(err) : err;
  }
}

/** Every template of a target, with its path under the target. */
function templates(target: EmailTarget): [string, string][] {
  const out: [string, string][] = [
    ['/from', target.from],
    ['/subject', target.subject],
  ];
  for (const field of ['to', 'cc', 'bcc'] as const) {
    const value = target[field];
    if (Array.isArray(value)) value.forEach((v, i) => out.push([`/${field}/${i}`, v]));
    else if (value !== undefined) out.push([`/${field}`, value]);
  }
  if (target.replyTo !== undefined) out.push(['/replyTo', target.replyTo]);
  if (target.text !== undefined) out.push(['/text', target.text]);
  if (target.html !== undefined) out.push(['/html', target.html]);
  for (const [name, value] of Object.entries(target.headers ?? {})) {
    out.push([`/headers/${pointerToken(name)}`, value]);
  }
  return out;
}

/** Where and how to connect; `label` (host:port) is safe to show. */
interface SmtpServer {
  host: string;
  port: number | undefined;
  secure: boolean;
  auth: { user: string; pass: string } | undefined;
  tls: EmailTarget['tls'];
  label: string;
}

/**
 * Reads the target's SMTP URL and connection fields.
 * @throws ChimeError `CHIME_ERR_INVALID_INPUT` at `path` for a URL that is not smtp:// or smtps://host[:port].
 */
function smtpServer(target: EmailTarget, path = '/target/smtp'): SmtpServer {
  let url: URL | undefined;
  try {
    url = new URL(target.smtp);
  } catch {
    url = undefined;
  }
  const plain =
    url && (url.pathname === '' || url.pathname === '/') && url.search === '' && url.hash === '';
  if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || url.hostname === '' || !plain) {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      'the SMTP server must be a URL smtp://[user:password@]host[:port] or smtps://…, without a path or query',
      { path },
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const fromUrl = url.username
    ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
    : undefined;
  return {
    host,
    port: url.port === '' ? undefined : Number(url.port),
    secure: target.secure ?? url.protocol === 'smtps:',
    auth: target.auth ?? fromUrl,
    tls: target.tls,
    label: url.host,
  };
}

/** The transport for a server and login, created on first use. */
function pooled(pools: Map<string, Transporter>, server: SmtpServer): Transporter {
  // Hashed so that no password sits in a map key.
  const key = createHash('sha256')
    .update(JSON.stringify([server.host, server.port, server.secure, server.auth, server.tls]))
    .digest('hex');
  let transport = pools.get(key);
  if (!transport) {
    transport = nodemailer.createTransport({
      pool: true,
      host: server.host,
      port: server.port,
      secure: server.secure,
      auth: server.auth,
      tls: server.tls,
      socketTimeout: SOCKET_TIMEOUT_MS,
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    });
    pools.set(key, transport);
  }
  return transport;
}

/** The message of one attempt: the rendered templates, the Message-ID and the chime headers. */
function buildMessage(target: EmailTarget, ctx: ExecutionContext): SendMailOptions {
  const scope: TemplateScope = {
    payload: ctx.payload,
    jobId: ctx.job.id,
    executionId: ctx.executionId,
    fireAt: ctx.fireAt,
    attempt: ctx.attempt,
  };
  const line = (template: string) => render(template, scope, { header: true });
  const list = (value: string | string[] | undefined) =>
    (Array.isArray(value) ? value : value === undefined ? [] : [value])
      .map(line)
      .filter((address) => address.trim() !== '');
  const message: SendMailOptions = {
    messageId: `<${ctx.executionId}@chime>`,
    from: line(target.from),
    to: list(target.to),
    cc: list(target.cc),
    bcc: list(target.bcc),
    subject: line(target.subject),
    headers: {
      ...Object.fromEntries(Object.entries(target.headers ?? {}).map(([k, v]) => [k, line(v)])),
      'X-Chime-Job-Id': ctx.job.id,
      'X-Chime-Fire-At': ctx.fireAt.toISOString(),
      'X-Chime-Attempt': String(ctx.attempt),
      ...(ctx.backfill === true ? { 'X-Chime-Backfill': 'true' } : {}),
    },
  };
  if (target.replyTo !== undefined) message.replyTo = line(target.replyTo);
  if (target.text !== undefined) message.text = render(target.text, scope);
  if (target.html !== undefined) message.html = render(target.html, scope, { html: true });
  return message;
}

/** Sends under the attempt's signal and the target's timeout; maps failures to chime errors. */
async function send(
  transport: Transporter,
  message: SendMailOptions,
  target: EmailTarget,
  ctx: ExecutionContext,
  server: string,
): Promise<EmailResult> {
  if ([message.to, message.cc, message.bcc].every((list) => (list as string[]).length === 0)) {
    throw new PermanentError(
      'CHIME_ERR_INVALID_INPUT: no recipient is left once the placeholders of to, cc and bcc are filled from the payload',
    );
  }
  const abort = attemptAbort(ctx.signal, target, server);
  try {
    const info = (await transport.sendMail({ ...message, signal: abort.signal })) as {
      messageId?: string;
      accepted?: unknown[];
      rejected?: unknown[];
      response?: string;
    };
    const result: EmailResult = {
      messageId: info.messageId ?? String(message.messageId),
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map(String),
      response: info.response ?? '',
    };
    ctx.logger.debug({ server, ...result }, 'email sent');
    return result;
  } catch (err) {
    const error = abort.signal.aborted
      ? (abort.signal.reason as unknown)
      : toAttemptError(err as NodemailerError, server);
    // Only the mapped message: it names the server by host:port, never a credential.
    ctx.logger.debug({ server, error: String(error) }, 'email not sent');
    throw error;
  } finally {
    abort.dispose();
  }
}

/** One signal for the send: aborted with the attempt's reason, or at the target's timeout. */
function attemptAbort(
  signal: AbortSignal,
  target: EmailTarget,
  server: string,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const timeoutMs =
    target.timeout === undefined ? undefined : parseDuration(target.timeout, '/target/timeout');
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          controller.abort(
            new ChimeError(
              'CHIME_ERR_ATTEMPT_TIMEOUT',
              `the SMTP server ${server} did not take the message within the target's timeout of ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Maps a nodemailer failure: a permanent SMTP reply (5xx but 503) or a
 * definition no retry can fix → PermanentError; a transient reply (4xx) →
 * `CHIME_ERR_TARGET_REJECTED`; a connection failure → `CHIME_ERR_TARGET_UNREACHABLE`.
 */
function toAttemptError(err: NodemailerError, server: string): Error {
  const reply = (err.response ?? '').trim();
  if (err.responseCode !== undefined) {
    const rejected = new ChimeError(
      'CHIME_ERR_TARGET_REJECTED',
      `the SMTP server ${server} refused ${err.command?.split(' ')[0] ?? 'the message'}: ${reply || err.message}`,
      { cause: err },
    );
    const permanent = err.permanent ?? (err.responseCode >= 500 && err.responseCode !== 503);
    return permanent ? asPermanent(rejected) : rejected;
  }
  if (err.code !== undefined && MISCONFIGURED.has(err.code)) {
    return new PermanentError(`CHIME_ERR_INVALID_INPUT: ${err.message}`, { cause: err });
  }
  if (err.code !== undefined && UNREACHABLE.has(err.code)) {
    return new ChimeError(
      'CHIME_ERR_TARGET_UNREACHABLE',
      `the SMTP server ${server} could not be reached: ${err.message}`,
      { cause: err },
    );
  }
  return new ChimeError(
    'CHIME_ERR_TARGET_REJECTED',
    `sending through ${server} failed: ${err.message}`,
    {
      cause: err,
    },
  );
}

/** A PermanentError whose message keeps the chime code (outcomes record codes of ChimeErrors only). */
function asPermanent(err: ChimeError): PermanentError {
  return new PermanentError(`${err.code}: ${err.message}`, { cause: err });
}
