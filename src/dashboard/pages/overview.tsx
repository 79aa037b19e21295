import { useEffect } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Execution, Instance, Page } from '../api/types';
import { ErrorNotice } from '../components/problem';
import { When } from '../components/time';
import { useLive } from '../hooks/use-live';
import { useNow } from '../hooks/use-now';
import { useResource } from '../hooks/use-resource';
import { duration } from '../lib/format';
import { FailuresSection } from './overview-failures';
import { StatsSection } from './overview-stats';
import { UpcomingSection } from './overview-upcoming';

/** The overview: instances, what runs now, what fires next, what failed, how late and how much. */
export function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      <div class="grid">
        <UpcomingSection />
        <RunningSection />
        <StatsSection />
        <InstancesSection />
      </div>
      <FailuresSection />
    </>
  );
}

function RunningSection() {
  const now = useNow();
  const running = useResource(
    (signal) => api<Page<Execution>>('GET', '/v1/executions?status=running&limit=50', { signal }),
    'running',
  );
  useLive((e) => e.type.startsWith('execution:'), running.reload, 1000);
  const items = running.data?.items ?? [];
  return (
    <section aria-labelledby="running-title" class="card">
      <h2 id="running-title">Running now</h2>
      <ErrorNotice error={running.error} />
      {items.length === 0 && !running.loading && <p class="muted">Nothing is running.</p>}
      {items.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Attempt</th>
                <th scope="col">Running for</th>
                <th scope="col">Instance</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td>
                    <a href={`/executions/${encodeURIComponent(e.id)}`}>{e.jobId}</a>
                  </td>
                  <td>{e.attempt}</td>
                  <td>{e.startedAt ? duration(now - Date.parse(e.startedAt)) : '—'}</td>
                  <td class="mono">{e.leaseOwner ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function InstancesSection() {
  const now = useNow(5000);
  const instances = useResource(
    (signal) => api<{ items: Instance[] }>('GET', '/v1/instances', { signal }),
    'instances',
  );
  // Their signs of life change every few seconds: read again every 15 s, and at once when
  // one is declared dead.
  useLive((e) => e.type.startsWith('instance:'), instances.reload, 1000);
  useEffect(() => {
    const timer = window.setInterval(instances.reload, 15_000);
    return () => window.clearInterval(timer);
  }, []);
  const missing = instances.error instanceof ApiError && instances.error.status === 404;
  return (
    <section aria-labelledby="instances-title" class="card wide">
      <h2 id="instances-title">Instances</h2>
      {missing ? (
        <p class="muted">Instances unavailable: this service does not list its instances.</p>
      ) : (
        <ErrorNotice error={instances.error} />
      )}
      {instances.data && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Version</th>
                <th scope="col">Started</th>
                <th scope="col">Last seen</th>
                <th scope="col">Running</th>
                <th scope="col">Held</th>
                <th scope="col">Capacity</th>
              </tr>
            </thead>
            <tbody>
              {instances.data.items.map((i) => (
                <tr key={i.id}>
                  <td>
                    <span class="mono">{i.id}</span>
                    <span class="sub">
                      {i.host} · pid {i.pid}
                    </span>
                  </td>
                  <td>{i.version}</td>
                  <td>
                    <When iso={i.startedAt} now={now} />
                  </td>
                  <td>
                    <When iso={i.lastSeenAt} now={now} />
                  </td>
                  <td>{i.running}</td>
                  <td>{i.held}</td>
                  <td>{i.capacity}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
