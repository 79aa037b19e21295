/**
 * Fire lag and throughput of the last minutes, for the dashboard's overview
 * (`GET /v1/stats/recent`): a ring of 10-second buckets fed by the
 * scheduler's events, so it costs no store query. Each bucket counts starts
 * and outcomes and keeps its lags in a log histogram (bins 2% wide), so
 * quantiles are within 2% and memory stays bounded whatever the rate.
 * It sees the executions this instance runs.
 */
import type { Scheduler } from '../scheduler/scheduler.js';

/** Width of one bucket, ms. */
export const BUCKET_MS = 10_000;
/** Buckets kept: 15 minutes. */
const BUCKETS = 90;
/** Growth factor of the lag histogram's bins. */
const BIN_GROWTH = 1.02;
const LOG_GROWTH = Math.log(BIN_GROWTH);

interface Bucket {
  /** Start of the bucket (epoch ms, a multiple of BUCKET_MS). */
  start: number;
  started: number;
  succeeded: number;
  failed: number;
  missed: number;
  skipped: number;
  /** Lag histogram: bin index → count. */
  lags: Map<number, number>;
}

/** Lag quantiles in ms (null without any first attempt in the window). */
export interface LagSummary {
  p50: number | null;
  p99: number | null;
  max: number | null;
  count: number;
}

/** Counts of one bucket or of a whole window. */
export interface RecentCounts {
  /** First attempts started. */
  started: number;
  succeeded: number;
  /** Executions failed for good. */
  failed: number;
  missed: number;
  skipped: number;
  lag: LagSummary;
}

/** The answer of {@link RecentStats.summary}. */
export interface RecentSummary {
  /** When the window starts and ends (ISO 8601). */
  from: string;
  to: string;
  bucketMs: number;
  /** Finished executions (succeeded + failed) per minute over the window. */
  throughputPerMinute: number;
  total: RecentCounts;
  /** Oldest first; buckets without events are included (all zero). */
  buckets: (RecentCounts & { at: string })[];
}

/** See the module comment. */
export class RecentStats {
  private readonly ring: Bucket[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Feeds the stats from a scheduler's events; returns the function that stops it. */
  observe(scheduler: Scheduler): () => void {
    const offs = [
      scheduler.on('execution:started', (e) => {
        if (e.attempt !== 1) return;
        const bucket = this.bucket();
        bucket.started++;
        const lag = Math.max(0, e.startedAt.getTime() - e.fireAt.getTime());
        const bin = Math.ceil(Math.log1p(lag) / LOG_GROWTH);
        bucket.lags.set(bin, (bucket.lags.get(bin) ?? 0) + 1);
      }),
      scheduler.on('execution:succeeded', () => this.bucket().succeeded++),
      scheduler.on('execution:dead', () => this.bucket().failed++),
      scheduler.on('fire:missed', () => this.bucket().missed++),
      scheduler.on('fire:skipped', () => this.bucket().skipped++),
    ];
    return () => offs.forEach((off) => off());
  }

  /** The last `windowMs` (rounded up to whole buckets, at most 15 minutes). */
  summary(windowMs: number): RecentSummary {
    const count = Math.min(BUCKETS, Math.max(1, Math.ceil(windowMs / BUCKET_MS)));
    const current = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    const first = current - (count - 1) * BUCKET_MS;
    const byStart = new Map(this.ring.map((b) => [b.start, b]));
    const buckets: Bucket[] = [];
    for (let start = first; start <= current; start += BUCKET_MS)
      buckets.push(byStart.get(start) ?? emptyBucket(start));
    const total = countsOf(buckets);
    const spanMs = this.now() - first;
    return {
      from: new Date(first).toISOString(),
      to: new Date(this.now()).toISOString(),
      bucketMs: BUCKET_MS,
      throughputPerMinute: ((total.succeeded + total.failed) * 60_000) / Math.max(spanMs, 1),
      total,
      buckets: buckets.map((b) => ({ at: new Date(b.start).toISOString(), ...countsOf([b]) })),
    };
  }

  /** The bucket of now, created (and the oldest dropped) as time moves on. */
  private bucket(): Bucket {
    const start = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    const last = this.ring.at(-1);
    if (last && last.start === start) return last;
    const bucket = emptyBucket(start);
    this.ring.push(bucket);
    while (this.ring.length > 0 && (this.ring[0]?.start ?? start) <= start - BUCKETS * BUCKET_MS)
      this.ring.shift();
    return bucket;
  }
}

function emptyBucket(start: number): Bucket {
  return { start, started: 0, succeeded: 0, failed: 0, missed: 0, skipped: 0, lags: new Map() };
}

function countsOf(buckets: Bucket[]): RecentCounts {
  const lags = new Map<number, number>();
  const counts = { started: 0, succeeded: 0, failed: 0, missed: 0, skipped: 0 };
  for (const b of buckets) {
    counts.started += b.started;
    counts.succeeded += b.succeeded;
    counts.failed += b.failed;
    counts.missed += b.missed;
    counts.skipped += b.skipped;
    for (const [bin, n] of b.lags) lags.set(bin, (lags.get(bin) ?? 0) + n);
  }
  return { ...counts, lag: lagSummary(lags) };
}

/** Quantiles of a lag histogram: each bin reads as its upper bound (within 2%). */
function lagSummary(lags: Map<number, number>): LagSummary {
  const bins = [...lags.keys()].sort((a, b) => a - b);
  const count = bins.reduce((sum, bin) => sum + (lags.get(bin) ?? 0), 0);
  if (count === 0) return { p50: null, p99: null, max: null, count };
  const valueOf = (bin: number) => Math.round(Math.expm1(bin * LOG_GROWTH));
  const quantile = (q: number) => {
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (const bin of bins) {
      seen += lags.get(bin) ?? 0;
      if (seen >= rank) return valueOf(bin);
    }
    return valueOf(bins.at(-1) ?? 0);
  };
  return { p50: quantile(0.5), p99: quantile(0.99), max: valueOf(bins.at(-1) ?? 0), count };
}
