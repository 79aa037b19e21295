/**
 * chime's limits on what it takes, in one place. The validators, the JSON
 * Schemas the service serves, the HTTP layer and the engine read them from
 * here; `docs/errors.md` lists {@link LIMITS} (a test keeps the two equal).
 */

/**
 * Most levels of nested objects and arrays in any JSON document chime takes,
 * counted from its root: a job definition (its payload and target bodies
 * included), a merge patch, a trigger's body, a handler's result.
 */
export const MAX_JSON_DEPTH = 64;

/** Longest job id, in characters. */
export const MAX_JOB_ID_LENGTH = 200;

/** The job id pattern: a slug of at most {@link MAX_JOB_ID_LENGTH} characters. */
export const JOB_ID_PATTERN = `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_JOB_ID_LENGTH - 1}}$`;

/**
 * Longest path segment the HTTP API routes: a job id with every character
 * percent-encoded (`:` is `%3A`), so every id that can be created can be addressed.
 */
export const MAX_PATH_PARAM_LENGTH = 3 * MAX_JOB_ID_LENGTH;

/** Longest URL of a target (http, amqp, nats, smtp), in characters. */
export const MAX_URL_LENGTH = 8192;

/** A header name: an RFC 9110 (RFC 7230) token. */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

/** Longest header name, in characters. */
export const MAX_HEADER_NAME_LENGTH = 255;

/** A header value: no CR, LF or NUL. */
export const HEADER_VALUE_PATTERN = '^[^\\r\\n\\u0000]*$';

/** Longest header value, in characters. */
export const MAX_HEADER_VALUE_LENGTH = 8192;

/** Most headers of one target. */
export const MAX_HEADERS = 100;

/** A metadata key. */
export const METADATA_KEY_PATTERN = '^[A-Za-z0-9_.:/-]{1,128}$';

/** Longest metadata value, in characters. */
export const MAX_METADATA_VALUE_LENGTH = 1024;

/** Most metadata entries of one job. */
export const MAX_METADATA_ENTRIES = 64;

/** Default largest payload, in bytes of JSON (the scheduler's `maxPayloadBytes`). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

/** Default largest recorded result, in bytes of JSON (the scheduler's `maxResultBytes`). */
export const DEFAULT_MAX_RESULT_BYTES = 64 * 1024;

/** Largest target body: bytes of JSON for http, characters for AMQP and NATS bodies and e-mail texts. */
export const MAX_TARGET_BODY_BYTES = 256 * 1024;

/** Default most fires one backfill adds (the scheduler's `maxBackfillFires`). */
export const DEFAULT_MAX_BACKFILL_FIRES = 1000;

/** Largest `maxFires` of a job (a signed 32-bit integer). */
export const MAX_FIRES = 2 ** 31 - 1;

/** One limit as `docs/errors.md` lists it. */
export interface Limit {
  /** What is limited. */
  readonly what: string;
  /** The limit. */
  readonly limit: string;
  /** Where it applies and what exceeding it answers. */
  readonly where: string;
}

/** Every limit, for the documentation. */
export const LIMITS: readonly Limit[] = [
  {
    what: 'JSON nesting',
    limit: `${MAX_JSON_DEPTH} levels`,
    where:
      'every JSON document, counted from its root: a request body, a job definition (payload and target bodies included), a merge patch, a trigger body, a handler result (`CHIME_ERR_JSON_TOO_DEEP`; a result is recorded as unserializable)',
  },
  {
    what: 'payload',
    limit: `${DEFAULT_MAX_PAYLOAD_BYTES} bytes of JSON`,
    where:
      "a job's payload and a trigger's payload; the scheduler's `maxPayloadBytes` (`CHIME_ERR_PAYLOAD_TOO_LARGE`)",
  },
  {
    what: 'result',
    limit: `${DEFAULT_MAX_RESULT_BYTES} bytes of JSON`,
    where:
      "a handler's result; the scheduler's `maxResultBytes` (a larger one is recorded as a note)",
  },
  {
    what: 'target body',
    limit: `${MAX_TARGET_BODY_BYTES} bytes`,
    where:
      'bytes of JSON of an http body; characters of an AMQP or NATS body, of an e-mail `text` or `html` (`CHIME_ERR_PAYLOAD_TOO_LARGE`, `CHIME_ERR_INVALID_INPUT`)',
  },
  {
    what: 'job id',
    limit: `${MAX_JOB_ID_LENGTH} characters`,
    where: `\`${JOB_ID_PATTERN}\`, at create and in every path (\`CHIME_ERR_JOB_ID_INVALID\`); a path segment longer than ${MAX_PATH_PARAM_LENGTH} characters (an id percent-encoded) is \`CHIME_ERR_URL_TOO_LONG\``,
  },
  {
    what: 'URL',
    limit: `${MAX_URL_LENGTH} characters`,
    where:
      'every URL of a target (http `url`, amqp `url`, nats `servers`, email `smtp`); it must parse as a URL of its scheme (`CHIME_ERR_INVALID_INPUT`)',
  },
  {
    what: 'header name',
    limit: `${MAX_HEADER_NAME_LENGTH} characters`,
    where:
      'an RFC 9110 token (`HEADER_NAME_PATTERN` of `src/model/limits.ts`), for http, amqp, nats and email headers (`CHIME_ERR_INVALID_INPUT`)',
  },
  {
    what: 'header value',
    limit: `${MAX_HEADER_VALUE_LENGTH} characters`,
    where: 'no CR, LF or NUL (`CHIME_ERR_INVALID_INPUT`)',
  },
  {
    what: 'headers',
    limit: `${MAX_HEADERS}`,
    where: 'headers of one target (`CHIME_ERR_INVALID_INPUT`)',
  },
  {
    what: 'backfill',
    limit: `${DEFAULT_MAX_BACKFILL_FIRES} fires`,
    where:
      "fires of a job's schedule in one backfill's window, added or listed by a dry run; the scheduler's `maxBackfillFires` (`CHIME_ERR_BACKFILL_TOO_LARGE`)",
  },
  {
    what: 'metadata',
    limit: `${MAX_METADATA_ENTRIES} entries`,
    where: `keys \`${METADATA_KEY_PATTERN}\`, values at most ${MAX_METADATA_VALUE_LENGTH} characters (\`CHIME_ERR_INVALID_INPUT\`)`,
  },
];
