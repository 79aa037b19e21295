import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Store } from '../stores/store.js';

/**
 * The service's Prometheus metrics (`GET /metrics`): fires by outcome, fire
 * lag, running attempts, missed and skipped fires, lease losses, and the
 * duration of every store call. A registry of its own, so several services in
 * one process (tests) never share counters.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly fires = new Counter({
    name: 'chime_fires_total',
    help: 'Executions by final outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly attempts = new Counter({
    name: 'chime_attempts_total',
    help: 'Attempts by outcome (succeeded, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly lag = new Histogram({
    name: 'chime_fire_lag_seconds',
    help: 'Attempt start minus the fire instant',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
    registers: [this.registry],
  });
  private readonly missed = new Counter({
    name: 'chime_fires_missed_total',
    help: 'Fires recorded as missed by the misfire policy',
    registers: [this.registry],
  });
  private readonly skipped = new Counter({
    name: 'chime_fires_skipped_total',
    help: 'Fires recorded as skipped by the overlap policy',
    registers: [this.registry],
  });
  private readonly leaseLosses = new Counter({
    name: 'chime_lease_losses_total',
    help: 'Leases this instance lost (its attempt aborted)',
    registers: [this.registry],
  });
  private readonly stale = new Counter({
    name: 'chime_jobs_stale_total',
    help: 'Jobs found stale: no success within their staleAfter',
    registers: [this.registry],
  });
  private readonly pruned = new Counter({
    name: 'chime_executions_pruned_total',
    help: 'Finished executions pruned by retention',
    registers: [this.registry],
  });
  private readonly storeCalls = new Histogram({
    name: 'chime_store_call_duration_seconds',
    help: 'Duration of store calls by method and result',
    labelNames: ['method', 'result'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });

  /** Counts the scheduler's events and reads its load at each scrape. */
  observe(scheduler: Scheduler): void {
    new Gauge({
      name: 'chime_attempts_running',
      help: 'Attempts running in this instance',
      registers: [this.registry],
      collect() {
        this.set(scheduler.status().running);
      },
    });
    new Gauge({
      name: 'chime_executions_held',
      help: 'Executions this instance holds: waiting for their instant, queued for a slot, running',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const { waiting, queued, running } = scheduler.status();
        this.set({ state: 'waiting' }, waiting);
        this.set({ state: 'queued' }, queued);
        this.set({ state: 'running' }, running);
      },
    });
    scheduler.on('execution:started', (e) =>
      this.lag.observe(Math.max(0, e.startedAt.getTime() - e.fireAt.getTime()) / 1000),
    );
    scheduler.on('execution:succeeded', () => {
      this.attempts.inc({ outcome: 'succeeded' });
      this.fires.inc({ outcome: 'succeeded' });
    });
    scheduler.on('execution:failed', () => this.attempts.inc({ outcome: 'failed' }));
    scheduler.on('execution:dead', () => this.fires.inc({ outcome: 'failed' }));
    scheduler.on('fire:missed', () => {
      this.missed.inc();
      this.fires.inc({ outcome: 'missed' });
    });
    scheduler.on('fire:skipped', () => {
      this.skipped.inc();
      this.fires.inc({ outcome: 'skipped' });
    });
    scheduler.on('lease:lost', () => this.leaseLosses.inc());
    scheduler.on('job:stale', () => this.stale.inc());
    scheduler.on('history:pruned', (e) => this.pruned.inc(e.deleted));
  }

  /** Reads how many `/v1/events` streams are open at each scrape. */
  observeStreams(open: () => number): void {
    new Gauge({
      name: 'chime_event_streams',
      help: 'Open /v1/events streams (server-sent events)',
      registers: [this.registry],
      collect() {
        this.set(open());
      },
    });
  }

  /** The store, its every call timed. */
  timed(store: Store): Store {
    const histogram = this.storeCalls;
    return new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'onChange')
          return value;
        return async (...args: unknown[]) => {
          const end = histogram.startTimer({ method: prop });
          try {
            const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(
              target,
              args,
            );
            end({ result: 'ok' });
            return result;
          } catch (err) {
            end({ result: 'error' });
            throw err;
          }
        };
      },
    });
  }
}
