/**
 * Every option of `chime serve`, declared once: its flag, its `CHIME_*`
 * environment variable, its type, its default and what it does. The flag
 * parser, the loader, `chime config` and the docs all read this list, so an
 * option has one name everywhere.
 */

/** The shortest bearer token (`--token`, `--read-token`) the service accepts. */
export const MIN_TOKEN_LENGTH = 16;

/** The kinds of option values. */
export type OptionKind = 'string' | 'integer' | 'duration' | 'boolean' | 'list' | 'bytes';

/** One option. */
export interface OptionSpec {
  /** The flag's name without dashes, e.g. `database-url`. */
  readonly name: string;
  /** The environment variable, `CHIME_` + the name in upper snake case. */
  readonly env: string;
  readonly kind: OptionKind;
  /** The default as the user would write it; undefined when the option has none. */
  readonly default?: string;
  /** What it does (one line, for `--help`, `chime config` and the README). */
  readonly doc: string;
  /** Its value is a credential: shown redacted by `chime config` and never logged. */
  readonly secret?: 'value' | 'url';
  /** The flag's value placeholder in `--help`. */
  readonly placeholder?: string;
}

const option = <const S extends Omit<OptionSpec, 'env'>>(spec: S): S & { env: string } => ({
  ...spec,
  env: `CHIME_${spec.name.toUpperCase().replaceAll('-', '_')}`,
});

/** Every option of the service, in the order `chime config` prints them. */
export const OPTIONS = [
  option({
    name: 'host',
    kind: 'string',
    default: '127.0.0.1',
    doc: 'address the API listens on; a non-loopback address needs a token',
    placeholder: 'address',
  }),
  option({
    name: 'port',
    kind: 'integer',
    default: '8000',
    doc: 'port the API listens on (0: any free port)',
    placeholder: 'port',
  }),
  option({
    name: 'token',
    kind: 'string',
    doc: `bearer token required by /v1 and /metrics, at least ${MIN_TOKEN_LENGTH} characters`,
    secret: 'value',
    placeholder: 'token',
  }),
  option({
    name: 'token-file',
    kind: 'string',
    doc: 'file holding the bearer token (instead of --token)',
    placeholder: 'path',
  }),
  option({
    name: 'read-token',
    kind: 'string',
    doc: `a second bearer token that may only read: GET routes and the dashboard without its actions; writes answer 403 \`CHIME_ERR_FORBIDDEN\` (needs --token; at least ${MIN_TOKEN_LENGTH} characters, not the same)`,
    secret: 'value',
    placeholder: 'token',
  }),
  option({
    name: 'read-token-file',
    kind: 'string',
    doc: 'file holding the read-only token (instead of --read-token)',
    placeholder: 'path',
  }),
  option({
    name: 'dashboard',
    kind: 'boolean',
    default: 'true',
    doc: 'serve the web dashboard at / (false: the API only)',
  }),
  option({
    name: 'database-url',
    kind: 'string',
    default: './chime.db',
    doc: 'a SQLite file path, a postgres:// URL, or a nats:// URL (NATS JetStream, 2.9 or later)',
    secret: 'url',
    placeholder: 'url',
  }),
  option({
    name: 'postgres-pool-size',
    kind: 'integer',
    default: '10',
    doc: 'connections of the Postgres pool this instance runs its statements on (a postgres:// --database-url; its LISTEN client and its instance lock hold one more each)',
    placeholder: 'n',
  }),
  option({
    name: 'migrate',
    kind: 'boolean',
    default: 'true',
    doc: 'run pending store migrations at start (false: refuse to start on an old schema)',
  }),
  option({
    name: 'scheduler-id',
    kind: 'string',
    doc: 'this instance’s name in leases and logs (default: host:pid:random)',
    placeholder: 'id',
  }),
  option({
    name: 'max-concurrent-jobs',
    kind: 'integer',
    default: '50',
    doc: 'attempts run at once by this instance',
    placeholder: 'n',
  }),
  option({
    name: 'prefetch',
    kind: 'integer',
    doc: 'executions this instance holds at once, claimed ahead of their instant; a burst of N fires at one instant wants N (default: adaptive, what the instance gets through in a horizon, at least 2 × max-concurrent-jobs; work already due also as far as it can start it now)',
    placeholder: 'n',
  }),
  option({
    name: 'max-job-lock-time',
    kind: 'duration',
    default: '30s',
    doc: 'lease length: the backstop for an instance the registry cannot see (cut off, still running); its work is taken over this long after its last lease renewal',
    placeholder: 'duration',
  }),
  option({
    name: 'heartbeat',
    kind: 'duration',
    default: '2s',
    doc: 'pause between two signs of life in the registry of live instances (each one small write, which also finds the instances that died)',
    placeholder: 'duration',
  }),
  option({
    name: 'dead-after',
    kind: 'duration',
    default: '10s',
    doc: 'an instance silent this long is declared dead and its work runs elsewhere at once (a crashed process is found sooner: Postgres by its lock, SQLite by its pid); at least twice --heartbeat',
    placeholder: 'duration',
  }),
  option({
    name: 'poll-interval',
    kind: 'duration',
    default: '2s',
    doc: 'longest pause between planning cycles (the engine otherwise sleeps until work is due)',
    placeholder: 'duration',
  }),
  option({
    name: 'horizon',
    kind: 'duration',
    default: '2s',
    doc: 'how far ahead work is planned and claimed; on a NATS cluster 10s rides through a stream leader’s election (fires planned before a server’s loss start on time during it; see the design notes for its price)',
    placeholder: 'duration',
  }),
  option({
    name: 'keep-last',
    kind: 'integer',
    default: '100',
    doc: 'finished executions kept per job (a job’s own retention.keepLast wins)',
    placeholder: 'n',
  }),
  option({
    name: 'max-age',
    kind: 'duration',
    default: '7d',
    doc: 'finished executions older than this are pruned (a job’s own retention.maxAge wins)',
    placeholder: 'duration',
  }),
  option({
    name: 'max-backfill-fires',
    kind: 'integer',
    default: '1000',
    doc: 'most fires one backfill adds (POST /v1/jobs/{id}/backfill); a window holding more is refused',
    placeholder: 'n',
  }),
  option({
    name: 'web-read-timeout',
    kind: 'duration',
    default: '5s',
    doc: 'longest time to receive a whole request',
    placeholder: 'duration',
  }),
  option({
    name: 'web-write-timeout',
    kind: 'duration',
    default: '10s',
    doc: 'longest a connection may stay silent while a request is handled',
    placeholder: 'duration',
  }),
  option({
    name: 'web-idle-timeout',
    kind: 'duration',
    default: '120s',
    doc: 'how long an idle keep-alive connection stays open',
    placeholder: 'duration',
  }),
  option({
    name: 'shutdown-timeout',
    kind: 'duration',
    default: '20s',
    doc: 'on SIGTERM/SIGINT, how long running attempts may finish before they are handed back',
    placeholder: 'duration',
  }),
  option({
    name: 'body-limit',
    kind: 'bytes',
    default: '1mb',
    doc: 'largest accepted request body',
    placeholder: 'size',
  }),
  option({
    name: 'bulk-body-limit',
    kind: 'bytes',
    default: '32mb',
    doc: 'largest body of PUT /v1/jobs, a list of jobs applied at once (chime apply)',
    placeholder: 'size',
  }),
  option({
    name: 'allow-shell',
    kind: 'boolean',
    default: 'false',
    doc: 'allow shell targets (commands run on this host)',
  }),
  option({
    name: 'http-target-allow',
    kind: 'list',
    doc: 'comma-separated hosts (or *.domain) HTTP targets may call: the SSRF guard; default any',
    placeholder: 'hosts',
  }),
  option({
    name: 'http-allow-link-local',
    kind: 'boolean',
    default: 'false',
    doc: 'let HTTP targets call link-local addresses (169.254.0.0/16, fe80::/10) and cloud-metadata endpoints (169.254.169.254, fd00:ec2::254, 100.100.100.200, metadata.google.internal), refused by default',
  }),
  option({
    name: 'http-deny-private',
    kind: 'boolean',
    default: 'false',
    doc: 'refuse HTTP targets on loopback and private addresses too (127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, ::1, fc00::/7)',
  }),
  option({
    name: 'http-signing-secret',
    kind: 'list',
    doc: 'Standard Webhooks secret (whsec_…; several, comma-separated, while receivers rotate) signing every HTTP target without a signing of its own',
    secret: 'value',
    placeholder: 'secrets',
  }),
  option({
    name: 'handlers',
    kind: 'string',
    doc: 'a module whose exported functions become handler targets by name',
    placeholder: 'module',
  }),
  option({
    name: 'log-level',
    kind: 'string',
    default: 'info',
    doc: 'fatal, error, warn, info, debug, trace or silent',
    placeholder: 'level',
  }),
] as const satisfies readonly OptionSpec[];

/** An option's name. */
export type OptionName = (typeof OPTIONS)[number]['name'];
