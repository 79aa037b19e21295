import type { Execution } from '../api/types';
import { duration } from '../lib/format';
import { StatusBadge } from './status';
import { When } from './time';

/** How long an execution ran: from its first attempt's start to its end (or now). */
export function runTime(e: Execution, now: number): number | null {
  const start = e.attempts[0]?.startedAt ?? e.startedAt;
  if (!start) return null;
  const end = e.finishedAt ? Date.parse(e.finishedAt) : e.status === 'running' ? now : null;
  return end === null ? null : Math.max(0, end - Date.parse(start));
}

/** Why an execution exists: `schedule`, `manual`, or `schedule (backfill)`. */
export function triggerText(e: Execution): string {
  return e.backfill ? `${e.trigger} (backfill)` : e.trigger;
}

/** How late its first attempt started after the fire instant. */
export function fireLag(e: Execution): number | null {
  const start = e.attempts[0]?.startedAt ?? e.startedAt;
  return start ? Math.max(0, Date.parse(start) - Date.parse(e.fireAt)) : null;
}

/** Executions as a table: fire, (job,) status, trigger, attempts, duration, lag, error or reason. */
export function ExecutionsTable(props: {
  items: readonly Execution[];
  now: number;
  showJob: boolean;
  busy: boolean;
}) {
  return (
    <div class="scroll">
      <table class="executions" aria-busy={props.busy}>
        <thead>
          <tr>
            <th scope="col">Fire</th>
            {props.showJob && <th scope="col">Job</th>}
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Attempts</th>
            <th scope="col">Duration</th>
            <th scope="col">Lag</th>
            <th scope="col">Error or reason</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((e) => {
            const ran = runTime(e, props.now);
            const late = fireLag(e);
            return (
              <tr key={e.id} data-execution={e.id}>
                <td>
                  <a href={`/executions/${encodeURIComponent(e.id)}`}>
                    <When iso={e.fireAt} now={props.now} />
                  </a>
                </td>
                {props.showJob && (
                  <td>
                    <a href={`/jobs/${encodeURIComponent(e.jobId)}`}>{e.jobId}</a>
                  </td>
                )}
                <td>
                  <StatusBadge status={e.status} />
                </td>
                <td>{triggerText(e)}</td>
                <td>{e.attempts.length}</td>
                <td>{ran === null ? '—' : duration(ran)}</td>
                <td>{late === null ? '—' : duration(late)}</td>
                {e.reason && !e.error ? (
                  <td class="reason" title={e.reason.code}>
                    {e.reason.message}
                  </td>
                ) : (
                  <td class="error-text">{e.error?.message ?? ''}</td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
