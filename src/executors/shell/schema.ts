import Type from 'typebox';
import { DurationSchema } from '../../model/duration.js';
import { Secret } from '../../model/secrets.js';
import { StringMap } from '../../model/string-map.js';

/** How long a command that ignores SIGTERM is given before SIGKILL, unless the target says otherwise. */
export const DEFAULT_KILL_GRACE_MS = 5_000;

/**
 * Bytes of stdout, and again of stderr, kept by default: twice this, escaped
 * as JSON, still fits the scheduler's default `maxResultBytes` (64 KiB), so
 * the output is recorded rather than replaced by a "too large" note.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024;

/** The environment variables chime sets for every command; a target may not set them. */
/** An environment variable name a target may set. */
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const CHIME_ENV = [
  'CHIME_EXECUTION_ID',
  'CHIME_JOB_ID',
  'CHIME_FIRE_AT',
  'CHIME_ATTEMPT',
  'CHIME_BACKFILL',
] as const;

/**
 * Runs a command on the scheduler's host: `command` with `args` as an array,
 * handed to the operating system as they are — never through a shell, so no
 * quoting, globbing, `$(…)` or `;` is interpreted. Available only in a
 * scheduler created with `allowShell: true` (the service: `--allow-shell`).
 *
 * The command sees a small environment: `PATH`, `HOME`, `LANG`, `LC_ALL`,
 * `TZ` and `TMPDIR` of the scheduler's process (when set), then `env`, then
 * `CHIME_EXECUTION_ID` (the idempotency key), `CHIME_JOB_ID`, `CHIME_FIRE_AT`
 * (ISO 8601) and `CHIME_ATTEMPT`. Nothing else of the scheduler's environment
 * (database URLs, tokens) reaches it.
 *
 * Exit status 0 succeeds, with `{ exitCode, stdout, stderr, truncated }` as
 * the result; any other status fails the attempt (retried per the job's
 * policy). When the attempt is aborted (the job's `timeout`, a lost lease,
 * shutdown) or the target's own `timeout` passes, the command's process group
 * gets SIGTERM, then SIGKILL after `killGrace`.
 *
 * Secret: `env` as a whole (names and values) is redacted from every view,
 * since any variable may carry a credential.
 */
export const ShellTargetSchema = Type.Object(
  {
    type: Type.Literal('shell'),
    command: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'The executable: a name looked up on PATH, or a path. Not a shell line.',
    }),
    args: Type.Optional(
      Type.Array(Type.String({ maxLength: 131_072 }), {
        maxItems: 1024,
        description: 'Arguments, each passed literally (default none)',
      }),
    ),
    env: Type.Optional(
      Secret(
        StringMap(Type.String({ pattern: ENV_NAME_PATTERN }), Type.String(), {
          maxProperties: 256,
          description: `Variables added to the environment; names ${ENV_NAME_PATTERN}; secret as a whole`,
        }),
      ),
    ),
    cwd: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Working directory (default the scheduler's); relative to the scheduler's",
      }),
    ),
    timeout: Type.Optional(DurationSchema),
    killGrace: Type.Optional(DurationSchema),
    maxOutputBytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 16 * 1024 * 1024,
        description: `Bytes of stdout and of stderr kept, each (the head; default ${DEFAULT_MAX_OUTPUT_BYTES})`,
      }),
    ),
  },
  { additionalProperties: false, title: 'ShellTarget' },
);

/** A shell target. */
export type ShellTarget = Type.Static<typeof ShellTargetSchema>;
