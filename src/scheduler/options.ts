import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import Type from 'typebox';
import { pino, type Logger } from 'pino';
import { ChimeError } from '../errors.js';
import { systemClock, type Clock } from '../engine/clock.js';
import { schemaCheck } from '../model/check.js';
import { sqliteStore } from '../stores/sqlite/index.js';
import { STORE_METHODS, type Store } from '../stores/store.js';
import type { Executor } from '../executors/executor.js';
import { POLICY_DEFAULTS } from '../engine/policies.js';
import { RetentionPolicySchema, type RetentionPolicy } from '../model/policies.js';
import {
  DEFAULT_MAX_BACKFILL_FIRES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_RESULT_BYTES,
} from '../model/limits.js';

/** Options of `createScheduler`; all optional. */
export interface SchedulerOptions {
  /**
   * Where jobs and executions live.
   * @defaultValue `sqliteStore({ path: './chime.db' })`
   */
  store?: Store;
  /**
   * This instance's name in leases, logs and attempt records.
   * @defaultValue `<hostname>:<pid>:<random>`
   */
  instanceId?: string;
  /**
   * Attempts run at once by this instance.
   * @defaultValue 50
   */
  concurrency?: number;
  /**
   * Executions this instance holds at once: claimed ahead of their instant,
   * waiting for a slot, or running. Fires due at one instant are started from
   * memory only when they were claimed before it, so a burst of N fires at one
   * instant wants `prefetch ≥ N`; what one instance holds, the others cannot
   * take. At least `concurrency`.
   * @defaultValue adaptive: what this instance has shown it gets through within
   * a horizon, at least 2 × `concurrency` (slow handlers: little is held, and
   * several instances share the work; fast ones: a horizon's fires are held ahead);
   * work already due also as far as the instance can start it now
   */
  prefetch?: number;
  /**
   * Lease length in ms; a crashed instance's work is taken over this long after its last heartbeat.
   * @defaultValue 30000
   */
  leaseMs?: number;
  /**
   * Pause between two signs of life in the store's registry of live
   * instances, in ms: each is one small write that also finds the instances
   * that died.
   * @defaultValue 2000
   */
  heartbeatMs?: number;
  /**
   * An instance silent this long (ms) is declared dead by the others and its
   * leases are voided: what it had not started runs elsewhere at once, what it
   * had started is taken over. A crashed process is found sooner where the
   * store can tell (Postgres: its connection's lock; SQLite: its pid). At least
   * twice `heartbeatMs`.
   * @defaultValue 10000
   */
  deadAfterMs?: number;
  /**
   * How far ahead work is planned and claimed, in ms (no timer is armed further).
   * Large bursts (thousands of fires at one instant) need the lead time to be
   * planned before their instant. On a NATS cluster, 10 s rides through a stream
   * leader's election (fires planned before a server's loss start on time during it).
   * @defaultValue 2000
   */
  horizonMs?: number;
  /**
   * Longest pause between two planning cycles, in ms. Between cycles the engine
   * sleeps until the next due work enters the horizon; this bound is the safety
   * net for changes made by other processes that the store does not announce
   * (a store with notifications, such as Postgres, can afford a long one). Up
   * to the horizon, every fire known at one cycle is still claimed before its
   * instant at the next.
   * @defaultValue 2000
   */
  pollIntervalMs?: number;
  /**
   * Largest payload accepted, in bytes of JSON.
   * @defaultValue 262144
   */
  maxPayloadBytes?: number;
  /**
   * Largest result recorded, in bytes of JSON; larger results are replaced by a note.
   * @defaultValue 65536
   */
  maxResultBytes?: number;
  /**
   * Default deadline of `stop()` for running attempts, in ms.
   * @defaultValue 10000
   */
  stopTimeoutMs?: number;
  /**
   * How much history each job keeps, unless its own `retention` says otherwise:
   * at most `keepLast` finished executions, none older than `maxAge`.
   * @defaultValue `{ keepLast: 100, maxAge: '7d' }`
   */
  retention?: RetentionPolicy;
  /**
   * Most fires one backfill (`backfillJob`) adds; a window holding more is
   * refused with `CHIME_ERR_BACKFILL_TOO_LARGE`.
   * @defaultValue 1000
   */
  maxBackfillFires?: number;
  /**
   * Allow shell targets (commands run on this host). Off unless set.
   * @defaultValue false
   */
  allowShell?: boolean;
  /**
   * Hosts HTTP targets may call: hostnames or `*.domain` patterns (the SSRF
   * guard). A target naming another host is refused when the job is submitted.
   * @defaultValue any host
   */
  httpAllowHosts?: string[];
  /**
   * Let HTTP targets call link-local addresses (169.254.0.0/16, fe80::/10)
   * and cloud-metadata endpoints (169.254.169.254, fd00:ec2::254,
   * 100.100.100.200, metadata.google.internal, metadata.goog), refused by
   * default whatever `httpAllowHosts` says: when a job is submitted for an
   * address or a metadata name, when a request is sent for a name that
   * resolves to one.
   * @defaultValue false
   */
  httpAllowLinkLocal?: boolean;
  /**
   * Refuse HTTP targets on loopback and private addresses too (127.0.0.0/8,
   * 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, ::1,
   * fc00::/7, …), checked like `httpAllowLinkLocal`'s.
   * @defaultValue false
   */
  httpDenyPrivate?: boolean;
  /**
   * A Standard Webhooks secret (`whsec_…`), or several while receivers rotate
   * theirs, that signs the requests of every HTTP target without a `signing`
   * of its own (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
   * @defaultValue none: such targets are not signed
   */
  httpSigningSecret?: string | string[];
  /**
   * Executors of target types of your own, next to the built-in ones
   * (`handler`, `http`, `amqp`, `nats`, `email`, `shell`), or replacing the
   * built-in one of the same type; a type may be given once.
   * @defaultValue []
   */
  executors?: Executor[];
  /**
   * The source of time (tests inject a `TestClock`).
   * @defaultValue the system clock
   */
  clock?: Clock;
  /**
   * A pino logger.
   * @defaultValue pino at level `warn`, to stderr
   */
  logger?: Logger;
}

/** The options with every default applied. */
export type ResolvedOptions = Readonly<
  Required<Omit<SchedulerOptions, 'httpAllowHosts' | 'httpSigningSecret' | 'prefetch'>> &
    Pick<SchedulerOptions, 'httpAllowHosts' | 'httpSigningSecret' | 'prefetch'>
>;

const OptionsSchema = Type.Object(
  {
    store: Type.Optional(Type.Object({})),
    instanceId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    prefetch: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    leaseMs: Type.Optional(Type.Integer({ minimum: 100 })),
    horizonMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
    heartbeatMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 600_000 })),
    deadAfterMs: Type.Optional(Type.Integer({ minimum: 20, maximum: 3_600_000 })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 10 })),
    maxPayloadBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    maxResultBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    stopTimeoutMs: Type.Optional(Type.Integer({ minimum: 0 })),
    maxBackfillFires: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    allowShell: Type.Optional(Type.Boolean()),
    retention: Type.Optional(RetentionPolicySchema),
    httpAllowHosts: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    httpAllowLinkLocal: Type.Optional(Type.Boolean()),
    httpDenyPrivate: Type.Optional(Type.Boolean()),
    httpSigningSecret: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })]),
    ),
    executors: Type.Optional(Type.Array(Type.Object({ type: Type.String({ minLength: 1 }) }))),
    clock: Type.Optional(Type.Object({})),
    logger: Type.Optional(Type.Object({})),
  },
  { additionalProperties: false },
);
const OPTIONS_CHECK = schemaCheck(OptionsSchema);

/** The methods each object option must have. */
const DUCK_TYPES: Record<string, readonly string[]> = {
  store: STORE_METHODS,
  clock: ['now', 'setTimeout', 'clearTimeout'],
  logger: ['error', 'warn', 'info', 'debug', 'child'],
};

/** The defaults, documented on {@link SchedulerOptions}. */
export const OPTION_DEFAULTS = Object.freeze({
  concurrency: 50,
  leaseMs: 30_000,
  horizonMs: 2_000,
  heartbeatMs: 2_000,
  deadAfterMs: 10_000,
  pollIntervalMs: 2_000,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  maxResultBytes: DEFAULT_MAX_RESULT_BYTES,
  stopTimeoutMs: 10_000,
  maxBackfillFires: DEFAULT_MAX_BACKFILL_FIRES,
  allowShell: false,
  httpAllowLinkLocal: false,
  httpDenyPrivate: false,
  retention: { keepLast: POLICY_DEFAULTS.keepLast, maxAge: POLICY_DEFAULTS.maxAgeMs },
});

/**
 * Validates options and applies the defaults into a new frozen object (the
 * caller's object is never written).
 * @throws ChimeError `CHIME_ERR_OPTION_INVALID` naming the option.
 */
export function resolveOptions(options: SchedulerOptions = {}): ResolvedOptions {
  try {
    OPTIONS_CHECK.assert(options, '');
  } catch (err) {
    const e = err as ChimeError;
    const reason = e.message.replace(/ \(at [^)]*\)$/, '');
    throw new ChimeError('CHIME_ERR_OPTION_INVALID', `invalid scheduler option: ${reason}`, {
      path: e.path,
    });
  }
  for (const [name, methods] of Object.entries(DUCK_TYPES)) {
    const value = (options as Record<string, unknown>)[name];
    const missing =
      value === undefined
        ? []
        : methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
    if (missing.length > 0) {
      throw new ChimeError(
        'CHIME_ERR_OPTION_INVALID',
        `invalid scheduler option: ${name} lacks ${missing.join(', ')}`,
        { path: `/${name}` },
      );
    }
  }
  // A store written in plain JavaScript may lack what the engine reads besides its methods.
  const capabilities = (options.store as Partial<Store> | undefined)?.capabilities as unknown;
  if (options.store !== undefined && (typeof capabilities !== 'object' || capabilities === null)) {
    throw new ChimeError(
      'CHIME_ERR_OPTION_INVALID',
      'invalid scheduler option: store lacks capabilities (an object, e.g. { notify: false })',
      { path: '/store/capabilities' },
    );
  }
  const merged = { ...OPTION_DEFAULTS, ...options };
  if (options.prefetch !== undefined && options.prefetch < merged.concurrency) {
    throw new ChimeError(
      'CHIME_ERR_OPTION_INVALID',
      `invalid scheduler option: prefetch (${options.prefetch}) is below concurrency (${merged.concurrency}); slots would stay empty`,
      { path: '/prefetch' },
    );
  }
  if (merged.deadAfterMs < 2 * merged.heartbeatMs) {
    throw new ChimeError(
      'CHIME_ERR_OPTION_INVALID',
      `invalid scheduler option: deadAfterMs (${merged.deadAfterMs}) is below twice heartbeatMs (${merged.heartbeatMs}); live instances would be declared dead`,
      { path: '/deadAfterMs' },
    );
  }
  const store = options.store ?? sqliteStore({ path: './chime.db' });
  return Object.freeze({
    ...merged,
    executors: options.executors ?? [],
    store,
    instanceId:
      options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? pino({ name: 'chime', level: 'warn' }, pino.destination(2)),
  });
}
