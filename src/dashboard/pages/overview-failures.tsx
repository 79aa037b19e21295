import { api } from '../api/client';
import type { Execution, Page } from '../api/types';
import { ErrorNotice } from '../components/problem';
import { StatusBadge } from '../components/status';
import { When } from '../components/time';
import { useLive } from '../hooks/use-live';
import { useNow } from '../hooks/use-now';
import { useResource } from '../hooks/use-resource';

const DAY_MS = 24 * 3600_000;
/** Rows listed; the executions page has the rest. */
const SHOWN = 10;

/** Failed (for good), missed and retrying executions of the last 24 hours, newest first. */
async function loadFailures(signal: AbortSignal): Promise<Execution[]> {
  const list = (status: string) =>
    api<Page<Execution>>('GET', `/v1/executions?status=${status}&limit=200`, { signal });
  const [failed, missed, waiting] = await Promise.all([
    list('failed'),
    list('missed'),
    list('scheduled'),
  ]);
  const since = Date.now() - DAY_MS;
  const retrying = waiting.items.filter((e) => e.attempts.length > 0);
  return [...failed.items, ...missed.items, ...retrying]
    .filter((e) => Date.parse(e.fireAt) >= since)
    .sort((a, b) => Date.parse(b.fireAt) - Date.parse(a.fireAt));
}

/** See {@link loadFailures}. */
export function FailuresSection() {
  const now = useNow(5000);
  const failures = useResource(loadFailures, 'failures');
  useLive(
    (e) => ['execution:failed', 'execution:dead', 'fire:missed'].includes(e.type),
    failures.reload,
    2000,
  );
  const items = failures.data ?? [];
  const count = (status: string) => items.filter((e) => e.status === status).length;
  return (
    <section aria-labelledby="failures-title" class="card">
      <h2 id="failures-title">Failures, last 24 hours</h2>
      <ErrorNotice error={failures.error} />
      {failures.data && (
        <p>
          <a href="/executions?status=failed">{count('failed')} failed</a> ·{' '}
          <a href="/executions?status=missed">{count('missed')} missed</a> · {count('scheduled')}{' '}
          retrying
        </p>
      )}
      {items.length === 0 && failures.data && <p class="muted">No failures. </p>}
      {items.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Fire</th>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {items.slice(0, SHOWN).map((e) => (
                <tr key={e.id}>
                  <td>
                    <a href={`/executions/${encodeURIComponent(e.id)}`}>
                      <When iso={e.fireAt} now={now} />
                    </a>
                  </td>
                  <td>
                    <a href={`/jobs/${encodeURIComponent(e.jobId)}`}>{e.jobId}</a>
                  </td>
                  <td>
                    <StatusBadge status={e.status === 'scheduled' ? 'retrying' : e.status} />
                  </td>
                  <td>{e.attempts.length}</td>
                  <td class="error-text">
                    {e.error?.message ?? e.attempts.at(-1)?.error?.message ?? ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {items.length > SHOWN && (
        <p class="sub">
          The {SHOWN} newest of {items.length}: see{' '}
          <a href="/executions?status=failed">all failed</a> and{' '}
          <a href="/executions?status=missed">all missed</a> executions.
        </p>
      )}
    </section>
  );
}
