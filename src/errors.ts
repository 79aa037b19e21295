/**
 * The one registry of chime's errors. Every error thrown at a caller — from the
 * library, and later the HTTP API, the CLI and the config loader — is a
 * {@link ChimeError} whose `code` is a key of {@link ERRORS}. Codes are stable:
 * they may be added, never renamed. `docs/errors.md` lists every code, and a
 * test keeps that list and this registry equal.
 */

/** One registered error: an HTTP status for the API and a one-line meaning. */
interface ErrorSpec {
  readonly status: number;
  readonly description: string;
}

/** Every error code chime can raise, with its HTTP status and meaning. */
export const ERRORS = {
  CHIME_ERR_INVALID_INPUT: {
    status: 400,
    description: 'A field has the wrong type, format or value.',
  },
  CHIME_ERR_UNKNOWN_FIELD: {
    status: 400,
    description:
      'An object carries a field that chime does not know (unknown fields are rejected, not ignored).',
  },
  CHIME_ERR_MISSING_FIELD: { status: 400, description: 'A required field is absent.' },
  CHIME_ERR_JOB_ID_INVALID: {
    status: 400,
    description: 'A job id does not match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$.',
  },
  CHIME_ERR_DURATION_INVALID: {
    status: 400,
    description:
      'A duration is neither a non-negative number of milliseconds nor a string such as "5s" or "2h".',
  },
  CHIME_ERR_DATE_INVALID: {
    status: 400,
    description: 'A date is not an ISO 8601 string with a time zone (or a Date).',
  },
  CHIME_ERR_SCHEDULE_KIND_UNKNOWN: {
    status: 400,
    description:
      'A schedule kind is not one of cron, interval, once, custom, or a custom schedule names no schedule registered with scheduler.schedule(name, fn).',
  },
  CHIME_ERR_SCHEDULE_CRON_INVALID: {
    status: 400,
    description: 'A cron expression cannot be parsed or never fires.',
  },
  CHIME_ERR_SCHEDULE_TZ_INVALID: {
    status: 400,
    description: 'A time zone is not a known IANA zone.',
  },
  CHIME_ERR_SCHEDULE_INTERVAL_INVALID: {
    status: 400,
    description: 'An interval is not a positive duration.',
  },
  CHIME_ERR_SCHEDULE_RANGE_INVALID: {
    status: 400,
    description: 'A schedule ends before it starts.',
  },
  CHIME_ERR_SCHEDULE_IN_PAST: {
    status: 400,
    description: 'A one-shot schedule lies further in the past than the misfire grace allows.',
  },
  CHIME_ERR_TARGET_TYPE_UNKNOWN: {
    status: 400,
    description: 'A target type has no executor registered in this scheduler.',
  },
  CHIME_ERR_SHELL_DISABLED: {
    status: 400,
    description:
      'Shell targets are off: the scheduler was not created with allowShell (the service with --allow-shell).',
  },
  CHIME_ERR_TARGET_ADDRESS_BLOCKED: {
    status: 400,
    description:
      'An HTTP target names a host that is, or resolves to, a link-local or cloud-metadata address (see httpAllowLinkLocal), or a private one under httpDenyPrivate.',
  },
  CHIME_ERR_TARGET_REJECTED: {
    status: 502,
    description:
      'The receiver of a target refused the attempt: an HTTP status not accepted, an AMQP nack or unroutable message, a JetStream publish error, an SMTP rejection, a non-zero exit.',
  },
  CHIME_ERR_TARGET_UNREACHABLE: {
    status: 502,
    description:
      'The receiver of a target could not be reached (connection refused, reset or lost).',
  },
  CHIME_ERR_PAYLOAD_TOO_LARGE: {
    status: 413,
    description:
      'A payload (or a target body), serialized as JSON, is larger than its limit (docs/errors.md#limits).',
  },
  CHIME_ERR_PAYLOAD_NOT_JSON: {
    status: 400,
    description:
      'A payload (or a target body) cannot be serialized as JSON (a function, a cycle, a BigInt, …).',
  },
  CHIME_ERR_CURSOR_INVALID: {
    status: 400,
    description: 'A paging cursor was not produced by this listing.',
  },
  CHIME_ERR_OPTION_INVALID: { status: 400, description: 'A scheduler option is invalid.' },
  CHIME_ERR_JOB_EXISTS: { status: 409, description: 'A job with this id already exists.' },
  CHIME_ERR_JOB_NOT_FOUND: { status: 404, description: 'No job has this id.' },
  CHIME_ERR_JOB_CONFLICT: {
    status: 409,
    description:
      'A job kept changing under concurrent updates; the change was not applied. Try again.',
  },
  CHIME_ERR_BACKFILL_TOO_LARGE: {
    status: 400,
    description:
      "A backfill's window holds more fires of the job's schedule than the scheduler's maxBackfillFires (default 1000); nothing was added.",
  },
  CHIME_ERR_EXECUTION_NOT_FOUND: { status: 404, description: 'No execution has this id.' },
  CHIME_ERR_HANDLER_NOT_FOUND: {
    status: 500,
    description:
      'A handler target names a handler that is not registered, and no global handler is set.',
  },
  CHIME_ERR_ATTEMPT_TIMEOUT: {
    status: 504,
    description: "An attempt ran past its job's timeout; its signal was aborted.",
  },
  CHIME_ERR_LEASE_LOST: {
    status: 409,
    description:
      'The instance lost the lease of an execution; the attempt was aborted and its result rejected.',
  },
  CHIME_ERR_REPLACED: {
    status: 409,
    description:
      "A newer fire of the job replaced the execution (`overlap: 'replace'`): the attempt was aborted and the execution recorded `cancelled`.",
  },
  CHIME_ERR_SHUTDOWN: {
    status: 503,
    description:
      'The scheduler stopped before the attempt finished; the execution was handed back.',
  },
  CHIME_ERR_SCHEDULER_STOPPED: {
    status: 503,
    description: 'The scheduler has been stopped and takes no more calls.',
  },
  CHIME_ERR_CONFIG_INVALID: {
    status: 400,
    description:
      'A configuration option (flag or CHIME_* environment variable) is invalid or unsafe.',
  },
  CHIME_ERR_UNAUTHORIZED: {
    status: 401,
    description: 'The request has no valid `Authorization: Bearer` token.',
  },
  CHIME_ERR_FORBIDDEN: {
    status: 403,
    description:
      'The token may only read (`--read-token`): it cannot create, change, trigger or delete anything.',
  },
  CHIME_ERR_ROUTE_NOT_FOUND: { status: 404, description: 'No API route has this method and path.' },
  CHIME_ERR_DASHBOARD_NOT_BUILT: {
    status: 503,
    description:
      'The web dashboard has not been built in this installation: run `npm run build` (or `npm run build:dashboard`).',
  },
  CHIME_ERR_INVALID_JSON: { status: 400, description: 'The request body is not valid JSON.' },
  CHIME_ERR_BODY_TOO_LARGE: {
    status: 413,
    description: 'The request body is larger than the configured limit.',
  },
  CHIME_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description:
      'The request body has a content type the API does not accept (use application/json).',
  },
  CHIME_ERR_SERVICE_UNREACHABLE: {
    status: 503,
    description: 'The CLI could not reach the chime service at --url (CHIME_URL).',
  },
  CHIME_ERR_CONFIRMATION_REQUIRED: {
    status: 400,
    description:
      'The CLI refuses a command that removes jobs (jobs clear) without --yes; --dry-run shows what it would remove.',
  },
  CHIME_ERR_INTERNAL: {
    status: 500,
    description: 'An unexpected error; the service log has the details.',
  },
  CHIME_ERR_STORE_SCHEMA_TOO_NEW: {
    status: 500,
    description: 'The store holds a migration newer than this version of chime knows.',
  },
  CHIME_ERR_STORE_SCHEMA_OUTDATED: {
    status: 503,
    description:
      'The store lacks migrations and was opened without applying them (migrate: false, --migrate=false): run `chime migrate`.',
  },
  CHIME_ERR_STORE_UNAVAILABLE: {
    status: 503,
    description: 'The store cannot be reached or failed an operation.',
  },
  CHIME_ERR_STORE_JETSTREAM_UNAVAILABLE: {
    status: 503,
    description:
      'The NATS server of the NATS store has JetStream disabled or is older than 2.9: start nats-server 2.9 or later with JetStream (-js).',
  },
  CHIME_ERR_INSTANCE_ID_TAKEN: {
    status: 409,
    description:
      'A live instance of the store is registered under this instance id (--scheduler-id); two instances must not share one.',
  },
  CHIME_ERR_URL_TOO_LONG: {
    status: 414,
    description:
      'A path segment of the request is longer than any id can be (600 characters: a job id of 200, percent-encoded).',
  },
  CHIME_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    description: 'The request line and headers are larger than the HTTP server accepts (16 KiB).',
  },
  CHIME_ERR_REQUEST_TIMEOUT: {
    status: 408,
    description: 'The whole request was not received within --web-read-timeout.',
  },
  CHIME_ERR_HTTP_INVALID: {
    status: 400,
    description:
      'The request is not valid HTTP/1.1 (a malformed request line, header or body framing, an unknown method).',
  },
  CHIME_ERR_JSON_TOO_DEEP: {
    status: 400,
    description:
      'A JSON document (a request body, a job definition, a payload or body within it) nests objects and arrays deeper than 64 levels.',
  },
} as const satisfies Record<string, ErrorSpec>;

/** A stable chime error code, `CHIME_ERR_<AREA>_<WHAT>`. */
export type ErrorCode = keyof typeof ERRORS;

/** Extra fields of a {@link ChimeError}. */
export interface ChimeErrorDetails {
  /** JSON Pointer of the offending field of the input, e.g. `/schedule/tz`. */
  path?: string;
  /** The error that caused this one. */
  cause?: unknown;
}

/**
 * The error chime throws at callers. `code` is stable, `message` says what is
 * wrong and where, `path` (for bad input) points at the offending field.
 */
export class ChimeError extends Error {
  /** The stable error code. */
  readonly code: ErrorCode;
  /** JSON Pointer of the offending field, for bad input. */
  readonly path: string | undefined;
  /** The HTTP status the API answers this error with. */
  readonly status: number;

  constructor(code: ErrorCode, message: string, details: ChimeErrorDetails = {}) {
    super(details.path === undefined ? message : `${message} (at ${details.path || '/'})`, {
      cause: details.cause,
    });
    this.name = 'ChimeError';
    this.code = code;
    this.path = details.path;
    this.status = ERRORS[code].status;
  }

  /** A plain object for logs and API bodies. */
  toJSON(): { code: ErrorCode; message: string; path?: string } {
    return this.path === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, path: this.path };
  }
}

/** True when `err` is a {@link ChimeError}, optionally with the given code. */
export function isChimeError(err: unknown, code?: ErrorCode): err is ChimeError {
  return err instanceof ChimeError && (code === undefined || err.code === code);
}

/**
 * Thrown by a handler (or an executor) to fail the execution at once, without
 * the retries its policy would otherwise grant.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Thrown by an executor when the receiver asked to be retried after a delay
 * (HTTP `Retry-After`). The retry policy bounds the delay by its `maxDelay`.
 */
export class RetryAfterError extends Error {
  /** How long the receiver asked to wait, in milliseconds. */
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.name = 'RetryAfterError';
    this.retryAfterMs = retryAfterMs;
  }
}
