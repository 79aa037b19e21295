import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type DestinationStream, type Logger } from 'pino';
import { configError, type ServiceConfig } from '../config/load.js';
import type { OptionName } from '../config/options.js';
import { ChimeError, isChimeError } from '../errors.js';
import type { Handler } from '../executors/handler/handler-executor.js';
import { createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { buildApi } from './app.js';
import { builtDashboardDir } from './dashboard.js';
import { ServiceMetrics } from './metrics.js';
import type { Api } from './routes/context.js';
import type { Store } from '../stores/store.js';
import { storeFromUrl } from './store-from-url.js';

/** A running `chime serve`: the engine and the API in one process. */
export interface RunningService {
  /** Where the API listens, e.g. `http://127.0.0.1:8000`. */
  url: string;
  app: Api;
  scheduler: Scheduler;
  /** Stops accepting requests, drains running attempts up to the shutdown timeout, closes the store. */
  close(): Promise<void>;
}

/** Where the service finds its files (tests point elsewhere). */
export interface ServicePaths {
  /** The built dashboard. @defaultValue {@link builtDashboardDir} */
  dashboardDir?: string;
}

/** Paths pino redacts in every log line, should one ever carry them. */
const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  '*.token',
  '*.readToken',
  '*.password',
  '*.pass',
];

/**
 * Starts the service on a loaded configuration: store, scheduler (with the
 * handlers module, if any), metrics, API. Logs go to `logStream` (stdout).
 */
export async function startService(
  config: ServiceConfig,
  logStream?: DestinationStream,
  paths: ServicePaths = {},
): Promise<RunningService> {
  const logger = pino(
    { name: 'chime', level: config.get('log-level'), redact: REDACTED_LOG_PATHS },
    logStream,
  );
  const metrics = new ServiceMetrics();
  const store = metrics.timed(
    storeFromUrl(config.get('database-url'), {
      migrate: config.get('migrate'),
      maxConnections: config.get('postgres-pool-size'),
    }),
  );
  const scheduler = schedulerFrom(config, store, logger);
  const shutdownTimeoutMs = config.get('shutdown-timeout');
  const handlers = config.get('handlers');
  if (handlers !== undefined) await registerHandlers(scheduler, handlers, logger);
  metrics.observe(scheduler);
  await scheduler.start();
  const token = config.get('token');
  const readToken = config.get('read-token');
  const dashboardDir = config.get('dashboard')
    ? (paths.dashboardDir ?? builtDashboardDir())
    : undefined;
  let app: Api;
  try {
    app = await buildApi({
      scheduler,
      logger,
      metrics,
      bodyLimit: config.get('body-limit'),
      bulkBodyLimit: config.get('bulk-body-limit'),
      readTimeoutMs: config.get('web-read-timeout'),
      writeTimeoutMs: config.get('web-write-timeout'),
      idleTimeoutMs: config.get('web-idle-timeout'),
      ready: async () =>
        scheduler.status().state === 'running' && (await store.nextDueAt().then(() => true)),
      ...(token === undefined ? {} : { token }),
      ...(readToken === undefined ? {} : { readToken }),
      ...(dashboardDir === undefined ? {} : { dashboardDir }),
    });
    await app.listen({ host: config.get('host'), port: config.get('port') });
  } catch (err) {
    await scheduler.stop({ timeoutMs: 0 });
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.get('port');
  const host = config.get('host').includes(':') ? `[${config.get('host')}]` : config.get('host');
  const url = `http://${host}:${port}`;
  logger.info({ url, store: store.name, instanceId: scheduler.instanceId }, 'chime is serving');
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    scheduler,
    close: () =>
      (closing ??= (async () => {
        logger.info('stopping: no new requests, draining running attempts');
        await app.close();
        await scheduler.stop({ timeoutMs: shutdownTimeoutMs });
        logger.info('stopped');
      })()),
  };
}

/** The scheduler the configuration describes, on `store`; a refused option named as the service's. */
function schedulerFrom(config: ServiceConfig, store: Store, logger: Logger): Scheduler {
  const schedulerId = config.get('scheduler-id');
  const prefetch = config.get('prefetch');
  const allowHosts = config.get('http-target-allow');
  const signingSecret = config.get('http-signing-secret');
  try {
    return createScheduler({
      store,
      logger,
      concurrency: config.get('max-concurrent-jobs'),
      leaseMs: config.get('max-job-lock-time'),
      heartbeatMs: config.get('heartbeat'),
      deadAfterMs: config.get('dead-after'),
      pollIntervalMs: config.get('poll-interval'),
      horizonMs: config.get('horizon'),
      allowShell: config.get('allow-shell'),
      httpAllowLinkLocal: config.get('http-allow-link-local'),
      httpDenyPrivate: config.get('http-deny-private'),
      retention: { keepLast: config.get('keep-last'), maxAge: config.get('max-age') },
      stopTimeoutMs: config.get('shutdown-timeout'),
      maxBackfillFires: config.get('max-backfill-fires'),
      ...(schedulerId === undefined ? {} : { instanceId: schedulerId }),
      ...(prefetch === undefined ? {} : { prefetch }),
      ...(allowHosts === undefined ? {} : { httpAllowHosts: allowHosts }),
      ...(signingSecret === undefined ? {} : { httpSigningSecret: signingSecret }),
    });
  } catch (err) {
    throw asConfigError(err);
  }
}

/** The service option behind each scheduler option (the first segment of an error's path). */
const OPTION_OF: Record<string, OptionName> = {
  concurrency: 'max-concurrent-jobs',
  prefetch: 'prefetch',
  leaseMs: 'max-job-lock-time',
  heartbeatMs: 'heartbeat',
  deadAfterMs: 'dead-after',
  pollIntervalMs: 'poll-interval',
  horizonMs: 'horizon',
  stopTimeoutMs: 'shutdown-timeout',
  maxBackfillFires: 'max-backfill-fires',
  instanceId: 'scheduler-id',
  allowHosts: 'http-target-allow',
  httpAllowHosts: 'http-target-allow',
  signingSecret: 'http-signing-secret',
  httpSigningSecret: 'http-signing-secret',
};

/** A scheduler option the scheduler refused, as the service option (flag, variable) that set it. */
function asConfigError(err: unknown): unknown {
  if (!isChimeError(err, 'CHIME_ERR_OPTION_INVALID') || err.path === undefined) return err;
  const name = OPTION_OF[err.path.split('/')[1] ?? ''];
  if (name === undefined) return err;
  const why = err.message
    .replace(/ \(at [^)]*\)/g, '')
    .replace(/^invalid scheduler option: /, '')
    .replace(/^\/[^\s]* /, '')
    .replace(/^(must be [<>]=? \d+)$/, (bound) =>
      name === 'max-concurrent-jobs' ? bound : `${bound} ms`,
    );
  return configError(name, why, err);
}

/**
 * Registers the exported functions of a module as handlers, by export name
 * (the default export, when a function, becomes the global handler; when an
 * object, its functions are registered by key).
 */
async function registerHandlers(scheduler: Scheduler, path: string, logger: Logger): Promise<void> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ChimeError(
      'CHIME_ERR_CONFIG_INVALID',
      `option --handlers (CHIME_HANDLERS): cannot load ${path}: ${(err as Error).message}`,
      { path: '/handlers', cause: err },
    );
  }
  const { default: fallback, ...named } = module;
  const entries = Object.entries({ ...(isRecord(fallback) ? fallback : {}), ...named }).filter(
    (entry): entry is [string, Handler] => typeof entry[1] === 'function',
  );
  if (typeof fallback === 'function') scheduler.setHandler(fallback as Handler);
  if (entries.length === 0 && typeof fallback !== 'function') {
    throw new ChimeError(
      'CHIME_ERR_CONFIG_INVALID',
      `option --handlers (CHIME_HANDLERS): ${path} exports no functions`,
      { path: '/handlers' },
    );
  }
  for (const [name, fn] of entries) scheduler.handle(name, fn);
  logger.info(
    { handlers: entries.map(([name]) => name), global: typeof fallback === 'function' },
    'handlers registered',
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
