import { api } from '../api/client';
import type { RecentStats } from '../api/types';
import { ErrorNotice } from '../components/problem';
import { Sparkline } from '../components/sparkline';
import { useLive } from '../hooks/use-live';
import { useResource } from '../hooks/use-resource';
import { clockTime, lag } from '../lib/format';

/** Fire lag (p50, p99) and throughput of the last 15 minutes, in 10-second buckets. */
export function StatsSection() {
  const stats = useResource(
    (signal) => api<RecentStats>('GET', '/v1/stats/recent?window=15m', { signal }),
    'stats',
  );
  // Fresh numbers when fires happen, at most every 5 s; none while nothing fires.
  useLive((e) => e.type.startsWith('execution:') || e.type.startsWith('fire:'), stats.reload, 5000);
  const data = stats.data;
  return (
    <section aria-labelledby="stats-title" class="card">
      <h2 id="stats-title">Lag and throughput, last 15 minutes</h2>
      <ErrorNotice error={stats.error} />
      {data && (
        <>
          <dl class="figures">
            <div>
              <dt>Fire lag p50</dt>
              <dd>{lag(data.total.lag.p50)}</dd>
            </div>
            <div>
              <dt>Fire lag p99</dt>
              <dd>{lag(data.total.lag.p99)}</dd>
            </div>
            <div>
              <dt>Throughput</dt>
              <dd>{data.throughputPerMinute.toFixed(1)} / min</dd>
            </div>
            <div>
              <dt>Finished</dt>
              <dd>
                {data.total.succeeded} ok · {data.total.failed} failed · {data.total.missed} missed
              </dd>
            </div>
          </dl>
          <Sparkline
            label="Executions finished per 10 seconds"
            values={data.buckets.map((b) => b.succeeded + b.failed)}
            labels={data.buckets.map(
              (b) =>
                `${clockTime(b.at)}: ${b.succeeded + b.failed} finished, p99 lag ${lag(b.lag.p99)}`,
            )}
          />
          <p class="sub">
            Executions this instance ran ({data.instanceId}), since {clockTime(data.from)}.
          </p>
        </>
      )}
    </section>
  );
}
