import { useRoute } from 'preact-iso';
import { api, segment } from '../api/client';
import type { Execution } from '../api/types';
import { fireLag, runTime, triggerText } from '../components/executions-table';
import { JsonView } from '../components/json-view';
import { ErrorNotice, isNotFound } from '../components/problem';
import { StatusBadge } from '../components/status';
import { Instant } from '../components/time';
import { useLive } from '../hooks/use-live';
import { useNow } from '../hooks/use-now';
import { useRenderMark } from '../hooks/use-render-mark';
import { useResource } from '../hooks/use-resource';
import { duration } from '../lib/format';
import { AttemptsTimeline } from './execution-attempts';

/** One execution: its state, its attempts as a timeline, its payload and result. */
export function ExecutionPage() {
  const { params } = useRoute();
  const id = params['id'] ?? '';
  const now = useNow();
  const execution = useResource(
    (signal) => api<Execution>('GET', `/v1/executions/${segment(id)}`, { signal }),
    id,
  );
  useLive((e) => e.data.executionId === id, execution.reload, 500);
  useRenderMark('execution', execution.data !== undefined);
  if (isNotFound(execution.error))
    return (
      <section>
        <h1>Execution</h1>
        <p class="notice">
          No execution has this id (it may have been pruned).{' '}
          <a href="/executions">All executions</a>
        </p>
      </section>
    );
  const e = execution.data;
  return (
    <>
      <h1>Execution</h1>
      <p class="mono sub">{id}</p>
      <ErrorNotice error={execution.error} />
      {e && (
        <>
          <ExecutionFacts execution={e} now={now} />
          <section aria-labelledby="attempts-title">
            <h2 id="attempts-title">Attempts</h2>
            <AttemptsTimeline execution={e} now={now} />
          </section>
          {e.payload !== undefined && (
            <section aria-labelledby="payload-title">
              <h2 id="payload-title">Payload of this run</h2>
              <JsonView value={e.payload} label="Payload" />
            </section>
          )}
          {e.result !== undefined && (
            <section aria-labelledby="result-title">
              <h2 id="result-title">Result</h2>
              <JsonView value={e.result} label="Result" />
            </section>
          )}
        </>
      )}
    </>
  );
}

/** What an execution is and how it went: job, status, trigger, fire, duration, lag, error, reason. */
function ExecutionFacts({ execution: e, now }: { execution: Execution; now: number }) {
  const ran = runTime(e, now);
  const late = fireLag(e);
  return (
    <dl class="pairs card">
      <dt>Job</dt>
      <dd>
        <a href={`/jobs/${segment(e.jobId)}`}>{e.jobId}</a>
      </dd>
      <dt>Status</dt>
      <dd>
        <StatusBadge status={e.status} />
      </dd>
      <dt>Trigger</dt>
      <dd>{triggerText(e)}</dd>
      <dt>Fire</dt>
      <dd>
        <Instant iso={e.fireAt} now={now} />
      </dd>
      <dt>Duration</dt>
      <dd>{ran === null ? '—' : duration(ran)}</dd>
      <dt>Lag</dt>
      <dd>{late === null ? '—' : duration(late)}</dd>
      {e.status === 'scheduled' && (
        <>
          <dt>Runs</dt>
          <dd>
            <Instant iso={e.runAt} now={now} />
          </dd>
        </>
      )}
      {e.error && (
        <>
          <dt>Error</dt>
          <dd class="error-text">
            {e.error.message} {e.error.code && <code>{e.error.code}</code>}
          </dd>
        </>
      )}
      {e.reason && (
        <>
          <dt>Reason</dt>
          <dd>
            {e.reason.message} <code>{e.reason.code}</code>
          </dd>
        </>
      )}
      {e.onFailure && (
        <>
          <dt>onFailure</dt>
          <dd>{e.onFailure}</dd>
        </>
      )}
    </dl>
  );
}
