/**
 * The `http` executor: one HTTP request per attempt, sent with undici.
 *
 * - Every request carries `Idempotency-Key: <executionId>` (the same on every
 *   attempt of an execution), `X-Chime-Job-Id`, `X-Chime-Fire-At` (ISO 8601),
 *   `X-Chime-Attempt` and `User-Agent: chime` (a target may override the last).
 * - Signed (./signing.ts) with the target's `signing` secrets, or else the
 *   executor's `signingSecret`: `webhook-id` (the execution id),
 *   `webhook-timestamp` and `webhook-signature`, computed afresh for every
 *   request sent (every attempt, every redirect) over the body it carries.
 * - Body: a string `body` as is; any other `body` as JSON; without `body`, the
 *   job payload as JSON — or no body when the payload is null (a JSON `null`
 *   makes strict JSON parsers answer 400). GET and HEAD send no body.
 * - An accepted status (default 2xx) succeeds with `{ status, headers, body,
 *   truncated }`: a few non-credential response headers and the first
 *   `maxResponseBytes` (default 2 KiB) of the body as text (./excerpt.ts),
 *   cut further when the result would not fit the scheduler's result cap.
 * - Any other status fails the attempt with `CHIME_ERR_TARGET_REJECTED` (the
 *   message holds the status and a short excerpt) and is retried, except:
 *   429 and 503 with `Retry-After` (seconds or an HTTP date) ask for that
 *   delay, bounded by the retry policy's `maxDelay`; and 400, 401, 403, 404,
 *   405, 410 and 422 — a request that will be refused again until the target
 *   or the receiver changes — fail the execution at once (`PermanentError`,
 *   whose cause is the `CHIME_ERR_TARGET_REJECTED` error). 408, 409, 425, 429
 *   and every other status are retried.
 * - No answer: `CHIME_ERR_TARGET_UNREACHABLE` (retried); past the target's
 *   own `timeout`, `CHIME_ERR_ATTEMPT_TIMEOUT` (retried, recorded `timed_out`).
 *   When `ctx.signal` aborts (job timeout, lost lease, shutdown) the request
 *   is torn down at once and the signal's reason is thrown.
 * - Destinations (./destinations.ts): a host outside the allow-list, or an
 *   address the address guard refuses (link-local and cloud-metadata ones by
 *   default), fails the attempt at once (`PermanentError`); a name is judged
 *   by the addresses it resolves to when a connection is opened, by the
 *   lookup of the executor's own agent (a `dispatcher` given in the options
 *   connects its own way: this last check is then the caller's).
 * - Redirects are followed here, not by undici, so each hop's host is judged
 *   like the target's: at most 5; credential-like headers are dropped when a hop
 *   leaves the origin; 303 turns the request into a GET without body, 301,
 *   302, 307 and 308 keep method and body (as undici and curl's --post30x do).
 * - Messages name the method and origin only: a URL's path, query and
 *   userinfo, and the headers, may hold secrets. Nothing is logged.
 */
import { attemptSignal } from '../abort.js';
import { Agent, request, type Dispatcher } from 'undici';
import { ChimeError, PermanentError, RetryAfterError, isChimeError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import { isSensitiveHeader } from '../../model/secrets.js';
import type { ExecutionContext, Executor } from '../executor.js';
import { destinations, type DestinationOptions, type Destinations } from './destinations.js';
import { signingKeys, webhookHeaders } from './signing.js';
import { DRAIN_BYTES, fitResult, readExcerpt, type Excerpt } from './excerpt.js';
import {
  HttpTargetSchema,
  checkHttpTarget,
  MAX_RECORDED_BYTES,
  parseAcceptStatus,
  type HttpTarget,
  type StatusRange,
} from './schema.js';
import { traceHeaders } from '../trace-headers.js';

/** Options of {@link httpExecutor}. */
export interface HttpExecutorOptions {
  /**
   * Hosts http targets may call (the SSRF guard): exact hostnames or
   * `*.domain` (any subdomain of `domain`, not `domain` itself). A target
   * whose URL (or a redirect of it) names another host is refused.
   * @defaultValue every host
   */
  allowHosts?: string[];
  /**
   * Allow link-local addresses (169.254.0.0/16, fe80::/10) and cloud-metadata
   * endpoints (169.254.169.254, fd00:ec2::254, 100.100.100.200,
   * metadata.google.internal, metadata.goog), refused by default.
   * @defaultValue false
   */
  allowLinkLocal?: boolean;
  /**
   * Refuse loopback and private addresses too (127.0.0.0/8, 10.0.0.0/8,
   * 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, ::1, fc00::/7, …).
   * @defaultValue false
   */
  denyPrivate?: boolean;
  /**
   * The DNS lookup of the executor's own agent; every address it answers is
   * judged before a connection is opened.
   * @defaultValue `dns.lookup`
   */
  lookup?: DestinationOptions['lookup'];
  /**
   * Standard Webhooks secrets (`whsec_…`; several sign each request once per
   * secret) of the targets that have no `signing` of their own.
   * @defaultValue none: such targets are not signed
   */
  signingSecret?: string | string[];
  /**
   * The scheduler's cap on recorded results, in bytes of JSON: the body
   * excerpt is cut until the result fits it (else the scheduler would record
   * a note instead).
   * @defaultValue 65536, the scheduler's default
   */
  maxResultBytes?: number;
  /**
   * The undici dispatcher requests go through; the caller owns (and closes)
   * it. It resolves names its own way: the check of the addresses a name
   * resolves to is then the caller's.
   * @defaultValue an `Agent` owned by the executor, closed by `close()`
   */
  dispatcher?: Dispatcher;
}

/** What an accepted response records. */
export interface HttpResult {
  /** The response status. */
  status: number;
  /** A few response headers that carry no credentials. */
  headers: Record<string, string>;
  /** The first `maxResponseBytes` of the body, as UTF-8 text. */
  body: string;
  /** Whether the body was longer than the excerpt. */
  truncated: boolean;
}

const USER_AGENT = 'chime';
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const PERMANENT = new Set([400, 401, 403, 404, 405, 410, 422]);
const RECORDED_HEADERS = ['content-type', 'content-length', 'retry-after', 'x-request-id'];
const MESSAGE_EXCERPT = 200;

/** What every attempt of one executor shares. */
interface Settings {
  destinations: Destinations;
  /** The keys of the executor's `signingSecret` (none: targets without `signing` are not signed). */
  keys: Buffer[];
  maxResultBytes: number;
}

/** One request as planned from the target and the attempt. */
interface Plan {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  accept: StatusRange[];
  redirect: 'follow' | 'error' | 'manual';
  maxBytes: number;
  /** The scheduler's result cap, which the recorded result must fit. */
  maxResultBytes: number;
  timeoutMs: number | undefined;
  destinations: Destinations;
  /** The signing keys and the `webhook-id`; undefined when requests are not signed. */
  signing: { keys: Buffer[]; id: string } | undefined;
}

/** The `http` executor: sends one request per attempt; see the module comment for the rules. */
export function httpExecutor(options: HttpExecutorOptions = {}): Executor<HttpTarget> {
  const settings: Settings = {
    destinations: destinations(options),
    keys:
      options.signingSecret === undefined
        ? []
        : signingKeys(options.signingSecret, '/signingSecret', 'CHIME_ERR_OPTION_INVALID'),
    maxResultBytes: options.maxResultBytes ?? MAX_RECORDED_BYTES,
  };
  const allowed = settings.destinations;
  let owned: Agent | undefined;
  return {
    type: 'http',
    schema: HttpTargetSchema,
    validate(target, path) {
      checkHttpTarget(target, path, allowed);
    },
    async run(target, ctx) {
      try {
        checkHttpTarget(target, '', allowed);
      } catch (err) {
        throw new PermanentError(`invalid http target: ${(err as Error).message}`, { cause: err });
      }
      const dispatcher =
        options.dispatcher ?? (owned ??= new Agent({ connect: { lookup: allowed.lookup } }));
      return await attempt(plan(target, ctx, settings), dispatcher, ctx.signal);
    },
    async close() {
      const agent = owned;
      owned = undefined;
      await agent?.close();
    },
  };
}

async function attempt(
  plan: Plan,
  dispatcher: Dispatcher,
  jobSignal: AbortSignal,
): Promise<HttpResult> {
  const { signal, timedOut, dispose } = attemptSignal(jobSignal, plan.timeoutMs);
  try {
    const response = await send(plan, dispatcher, signal);
    const excerpt = await readExcerpt(response.body, plan.maxBytes);
    return judge(plan, response, excerpt);
  } catch (err) {
    if (jobSignal.aborted) throw jobSignal.reason;
    if (timedOut()) {
      throw new ChimeError(
        'CHIME_ERR_ATTEMPT_TIMEOUT',
        `${label(plan)} did not answer within the target's timeout of ${plan.timeoutMs} ms`,
        { cause: err },
      );
    }
    if (isChimeError(err, 'CHIME_ERR_TARGET_ADDRESS_BLOCKED')) {
      throw new PermanentError(`${label(plan)} was not called: ${err.message}`, { cause: err });
    }
    const ours = [ChimeError, PermanentError, RetryAfterError].some((type) => err instanceof type);
    if (ours) throw err;
    const code = (err as { code?: unknown }).code;
    throw new ChimeError(
      'CHIME_ERR_TARGET_UNREACHABLE',
      `${label(plan)} could not be reached: ${(err as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`,
      { cause: err },
    );
  } finally {
    dispose();
  }
}

function plan(target: HttpTarget, ctx: ExecutionContext, settings: Settings): Plan {
  const url = new URL(target.url);
  const method = target.method ?? 'POST';
  const { body, contentType } = requestBody(target, ctx.payload, method);
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  for (const [name, value] of Object.entries(target.headers ?? {}))
    headers[name.toLowerCase()] = value;
  if (contentType !== undefined) headers['content-type'] ??= contentType;
  const authorization = credentials(target, url);
  if (authorization !== undefined) headers['authorization'] = authorization;
  url.username = '';
  url.password = '';
  headers['idempotency-key'] = ctx.executionId;
  headers['x-chime-job-id'] = ctx.job.id;
  headers['x-chime-fire-at'] = ctx.fireAt.toISOString();
  headers['x-chime-attempt'] = String(ctx.attempt);
  Object.assign(headers, traceHeaders(ctx));
  if (ctx.backfill === true) headers['x-chime-backfill'] = 'true';
  const keys = target.signing
    ? signingKeys(target.signing.secret, '/signing/secret')
    : settings.keys;
  return {
    url,
    method,
    headers,
    body,
    accept: parseAcceptStatus(target.acceptStatus, '/acceptStatus'),
    redirect: target.redirect ?? 'follow',
    maxBytes: target.maxResponseBytes ?? 2048,
    maxResultBytes: settings.maxResultBytes,
    timeoutMs: target.timeout === undefined ? undefined : parseDuration(target.timeout, '/timeout'),
    destinations: settings.destinations,
    signing: keys.length > 0 ? { keys, id: ctx.executionId } : undefined,
  };
}

function requestBody(
  target: HttpTarget,
  payload: unknown,
  method: string,
): { body?: string; contentType?: string } {
  if (method === 'GET' || method === 'HEAD') return {};
  if (typeof target.body === 'string') {
    return { body: target.body, contentType: 'text/plain; charset=utf-8' };
  }
  const value = target.body !== undefined ? target.body : payload;
  if (value === undefined || (value === null && target.body === undefined)) return {};
  return { body: JSON.stringify(value), contentType: 'application/json' };
}

/** The `Authorization` value from `auth`, or from a user and password inside the URL. */
function credentials(target: HttpTarget, url: URL): string | undefined {
  const auth = target.auth;
  if (auth?.type === 'bearer') return `Bearer ${auth.token ?? ''}`;
  const [user, password] =
    auth?.type === 'basic'
      ? [auth.username ?? '', auth.password ?? '']
      : [decodeURIComponent(url.username), decodeURIComponent(url.password)];
  if (auth === undefined && user === '' && password === '') return undefined;
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Sends the request, following redirects when the target says so. */
async function send(
  plan: Plan,
  dispatcher: Dispatcher,
  signal: AbortSignal,
): Promise<Dispatcher.ResponseData> {
  let { url, method, headers, body } = plan;
  for (let hops = 0; ; hops++) {
    const signed = plan.signing
      ? { ...headers, ...webhookHeaders(plan.signing.keys, plan.signing.id, body) }
      : headers;
    const response = await request(url, { method, headers: signed, body, signal, dispatcher });
    const location = response.headers['location'];
    const status = response.statusCode;
    if (plan.redirect === 'manual' || !REDIRECTS.has(status) || typeof location !== 'string') {
      return response;
    }
    await response.body.dump({ limit: DRAIN_BYTES });
    if (plan.redirect === 'error' || hops === MAX_REDIRECTS) {
      throw new ChimeError(
        'CHIME_ERR_TARGET_REJECTED',
        plan.redirect === 'error'
          ? `${label(plan)} answered ${status}, a redirect, and the target's redirect policy is "error"`
          : `${label(plan)} redirected more than ${MAX_REDIRECTS} times`,
      );
    }
    const next = redirectUrl(plan, location, url);
    if (next.origin !== url.origin) headers = withoutCredentials(headers);
    if (status === 303 && method !== 'HEAD') {
      method = 'GET';
      body = undefined;
      const { 'content-type': _dropped, ...rest } = headers;
      headers = rest;
    }
    url = next;
  }
}

function redirectUrl(plan: Plan, location: string, base: URL): URL {
  const next = URL.canParse(location, base.href) ? new URL(location, base) : undefined;
  if (!next || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
    throw new ChimeError(
      'CHIME_ERR_TARGET_REJECTED',
      `${label(plan)} redirected to a location that is not an http(s) URL`,
    );
  }
  try {
    plan.destinations.check(next.hostname);
  } catch (err) {
    throw new PermanentError(
      `${label(plan)} redirected to a refused destination: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  next.username = '';
  next.password = '';
  return next;
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isSensitiveHeader(name)));
}

function judge(plan: Plan, response: Dispatcher.ResponseData, excerpt: Excerpt): HttpResult {
  const status = response.statusCode;
  const headers: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = response.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (plan.accept.some(([low, high]) => status >= low && status <= high)) {
    const result = { status, headers, body: excerpt.text, truncated: excerpt.truncated };
    return fitResult(result, plan.maxResultBytes);
  }
  const snippet = excerpt.text.replace(/\s+/g, ' ').trim().slice(0, MESSAGE_EXCERPT);
  const message = `${label(plan)} answered ${status}${snippet ? `: ${snippet}` : ''}`;
  const retryAfterMs =
    status === 429 || status === 503 ? parseRetryAfter(headers['retry-after']) : undefined;
  if (retryAfterMs !== undefined) throw new RetryAfterError(message, retryAfterMs);
  const rejected = new ChimeError('CHIME_ERR_TARGET_REJECTED', message);
  if (PERMANENT.has(status)) throw new PermanentError(message, { cause: rejected });
  throw rejected;
}

/** `Retry-After` in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** How messages name the request: method and origin, never path, query or credentials. */
function label(plan: Plan): string {
  return `${plan.method} ${plan.url.origin}`;
}
