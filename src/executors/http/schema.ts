import Type from 'typebox';
import { ChimeError } from '../../errors.js';
import { DurationSchema, parseDuration } from '../../model/duration.js';
import { HeaderMap, HeaderText } from '../../model/headers.js';
import { assertJsonField } from '../../model/json-value.js';
import { MAX_TARGET_BODY_BYTES, MAX_URL_LENGTH } from '../../model/limits.js';
import { Secret } from '../../model/secrets.js';
import type { Destinations } from './destinations.js';
import { SIGNING_SECRET_PATTERN, signingKeys } from './signing.js';

/** The HTTP methods an http target may use. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** Most response body bytes an http target may ask to record (the scheduler's default result cap). */
export const MAX_RECORDED_BYTES = 65_536;

/** `"2xx"` (a class of statuses) or `"200-299"` (an inclusive range). */
const STATUS_PATTERN = '^([1-5]xx|[1-5][0-9]{2}-[1-5][0-9]{2})$';

/**
 * Credentials sent in the `Authorization` header. One object rather than a
 * union of two, so a wrong `type` is reported at `/auth/type` and a missing
 * credential at its own field (the http executor's `validate` checks which
 * fields each type needs): `bearer` needs `token`; `basic` needs `username`
 * and `password`.
 */
export const HttpAuthSchema = Type.Object(
  {
    type: Type.Enum(['bearer', 'basic'], {
      description: '`bearer` (token) or `basic` (username and password)',
    }),
    token: Type.Optional(
      Secret(Type.String({ minLength: 1, description: 'The bearer token (secret)' })),
    ),
    username: Type.Optional(Type.String({ description: 'The basic-auth user (no ":")' })),
    password: Type.Optional(
      Secret(Type.String({ description: 'The basic-auth password (secret)' })),
    ),
  },
  { additionalProperties: false, title: 'HttpAuth' },
);

const SIGNING_SECRET = Type.String({
  pattern: SIGNING_SECRET_PATTERN,
  maxLength: 100,
  description: 'whsec_ and the base64 of a key of 24 to 64 bytes',
});

/**
 * Standard Webhooks signing of the target's requests (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature`): one secret, or several (one
 * signature each) while a receiver rotates. Replaces the scheduler's default.
 */
export const HttpSigningSchema = Type.Object(
  {
    secret: Secret(
      Type.Union([SIGNING_SECRET, Type.Array(SIGNING_SECRET, { minItems: 1, maxItems: 5 })], {
        description: 'A whsec_… secret, or a list of them (secret)',
      }),
    ),
  },
  {
    additionalProperties: false,
    title: 'HttpSigning',
    description: 'Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature)',
  },
);

/**
 * Sends one HTTP request per attempt. Every request carries
 * `Idempotency-Key: <executionId>` (the same on every attempt of an
 * execution), `X-Chime-Job-Id`, `X-Chime-Fire-At` (ISO 8601) and
 * `X-Chime-Attempt` (and `X-Chime-Backfill: true` for a backfilled fire). The attempt succeeds when the status is accepted; the
 * recorded result is `{ status, headers, body, truncated }` with a capped
 * excerpt of the response body.
 */
export const HttpTargetSchema = Type.Object(
  {
    type: Type.Literal('http'),
    url: Secret(
      Type.String({
        pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
        maxLength: MAX_URL_LENGTH,
        description: 'An http:// or https:// URL; a password inside it is secret',
      }),
      'url',
    ),
    method: Type.Optional(
      Type.Enum([...HTTP_METHODS], { default: 'POST', description: 'Default POST' }),
    ),
    headers: Type.Optional(
      Secret(
        HeaderMap('Extra request headers; credential-like ones are secret', HeaderText()),
        'headers',
      ),
    ),
    body: Type.Optional(
      Type.Unknown({
        description:
          'The request body: a string is sent as is (text/plain unless a Content-Type header is given), ' +
          `any other JSON value as JSON; at most ${MAX_TARGET_BODY_BYTES} bytes of JSON. Absent: the job payload as JSON. ` +
          'Not allowed with GET or HEAD, which send no body.',
      }),
    ),
    auth: Type.Optional(HttpAuthSchema),
    signing: Type.Optional(HttpSigningSchema),
    /** A cap on the request (more than 0), within the job timeout, which always applies. */
    timeout: Type.Optional(DurationSchema),
    acceptStatus: Type.Optional(
      Type.Array(
        Type.Union([
          Type.String({ pattern: STATUS_PATTERN }),
          Type.Integer({ minimum: 100, maximum: 599 }),
        ]),
        {
          minItems: 1,
          maxItems: 50,
          description: 'Statuses that count as success: 204, "2xx", "200-299". Default ["2xx"]',
        },
      ),
    ),
    redirect: Type.Optional(
      Type.Enum(['follow', 'error', 'manual'], {
        default: 'follow',
        description:
          'follow: up to 5 redirects; error: a redirect fails the attempt; manual: the 3xx response is judged by acceptStatus',
      }),
    ),
    maxResponseBytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_RECORDED_BYTES,
        default: 2048,
        description:
          "Most bytes of the response body recorded in the result (fewer when the result would not fit the scheduler's maxResultBytes). Default 2048",
      }),
    ),
  },
  { additionalProperties: false, title: 'HttpTarget' },
);

/** An http target. */
export type HttpTarget = Type.Static<typeof HttpTargetSchema>;

/** An inclusive range of accepted statuses. */
export type StatusRange = readonly [number, number];

/**
 * Parses `acceptStatus` into inclusive ranges (default 2xx).
 * @throws ChimeError `CHIME_ERR_INVALID_INPUT` at `<path>/<index>` for a range out of order or outside 100–599.
 */
export function parseAcceptStatus(accept: HttpTarget['acceptStatus'], path: string): StatusRange[] {
  if (accept === undefined) return [[200, 299]];
  return accept.map((item, i) => {
    const range = statusRange(item);
    if (!range || range[0] > range[1] || range[0] < 100 || range[1] > 599) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `${JSON.stringify(item)} is not a status, a class such as "2xx" or an ordered range such as "200-299" within 100-599`,
        { path: `${path}/${i}` },
      );
    }
    return range;
  });
}

function statusRange(item: unknown): StatusRange | undefined {
  if (typeof item === 'number') return Number.isInteger(item) ? [item, item] : undefined;
  if (typeof item !== 'string') return undefined;
  const cls = /^([1-5])xx$/.exec(item);
  if (cls) return [Number(cls[1]) * 100, Number(cls[1]) * 100 + 99];
  const range = /^(\d{3})-(\d{3})$/.exec(item);
  return range ? [Number(range[1]), Number(range[2])] : undefined;
}

/** Headers chime sets itself, and hop-by-hop headers the HTTP client owns. */
const RESERVED_HEADERS = new Set([
  'idempotency-key',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-chime-job-id',
  'x-chime-fire-at',
  'x-chime-attempt',
  'x-chime-backfill',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
]);

/**
 * Checks an http target beyond its schema: a parsable URL whose host is
 * among the `destinations`, the credentials its `auth` type needs (and only one source of
 * credentials), no header chime sets itself, no body with GET or HEAD nor one over
 * {@link MAX_TARGET_BODY_BYTES}, a positive timeout, ordered status ranges and signing
 * secrets of a usable size.
 * @throws ChimeError naming the offending field under `path`.
 */
export function checkHttpTarget(
  target: HttpTarget,
  path: string,
  destinations: Destinations,
): void {
  const url = checkUrl(target.url, `${path}/url`, destinations);
  checkAuth(target, url, path);
  for (const name of Object.keys(target.headers ?? {})) {
    const lower = name.toLowerCase();
    const clash = lower === 'authorization' && (target.auth !== undefined || url.username !== '');
    if (RESERVED_HEADERS.has(lower) || clash) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        clash
          ? `header "${name}" conflicts with the target's credentials (auth or a user in the url)`
          : `header "${name}" is set by chime or by the HTTP client and cannot be given`,
        { path: `${path}/headers/${name}` },
      );
    }
  }
  if (target.body !== undefined && (target.method === 'GET' || target.method === 'HEAD')) {
    throw new ChimeError('CHIME_ERR_INVALID_INPUT', `a ${target.method} request sends no body`, {
      path: `${path}/body`,
    });
  }
  assertJsonField(target.body, `${path}/body`, { name: 'body', maxBytes: MAX_TARGET_BODY_BYTES });
  if (target.timeout !== undefined && parseDuration(target.timeout, `${path}/timeout`) === 0) {
    throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'the request timeout must be more than 0', {
      path: `${path}/timeout`,
    });
  }
  parseAcceptStatus(target.acceptStatus, `${path}/acceptStatus`);
  if (target.signing) signingKeys(target.signing.secret, `${path}/signing/secret`);
}

function checkUrl(text: string, path: string, destinations: Destinations): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'the url cannot be parsed', { path });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      'the url must be an http:// or https:// URL with a host',
      { path },
    );
  }
  destinations.check(url.hostname, path);
  return url;
}

function checkAuth(target: HttpTarget, url: URL, path: string): void {
  const auth = target.auth;
  if (auth === undefined) return;
  if (url.username !== '' || url.password !== '') {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      'give credentials either in the url or in auth, not both',
      { path: `${path}/auth` },
    );
  }
  const needs = auth.type === 'bearer' ? ['token'] : ['username', 'password'];
  for (const field of ['token', 'username', 'password'] as const) {
    const at = `${path}/auth/${field}`;
    if (needs.includes(field) && auth[field] === undefined) {
      throw new ChimeError('CHIME_ERR_MISSING_FIELD', `${auth.type} auth needs "${field}"`, {
        path: at,
      });
    }
    if (!needs.includes(field) && auth[field] !== undefined) {
      throw new ChimeError('CHIME_ERR_UNKNOWN_FIELD', `${auth.type} auth takes no "${field}"`, {
        path: at,
      });
    }
  }
  if (auth.username?.includes(':')) {
    throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'a basic-auth username cannot contain ":"', {
      path: `${path}/auth/username`,
    });
  }
}
