import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, query, segment } from '../api/client';
import type { Execution, Job, Page } from '../api/types';
import { useCanWrite } from '../app-context';
import { ExecutionsTable } from '../components/executions-table';
import { JsonView } from '../components/json-view';
import { Pager } from '../components/pager';
import { ErrorNotice, isNotFound } from '../components/problem';
import { PausedBadge, StatusBadge } from '../components/status';
import { Instant, When } from '../components/time';
import { ofJob, useLive } from '../hooks/use-live';
import { useNow } from '../hooks/use-now';
import { useRenderMark } from '../hooks/use-render-mark';
import { useResource } from '../hooks/use-resource';
import { definitionOf } from '../lib/definition';
import { localTime, successRate } from '../lib/format';
import { scheduleText, scheduleWords, scheduleZone } from '../lib/schedule-words';
import { JobActions } from './job-actions';
import { JobFires } from './job-fires';

/** One job: its state, next fires, statistics, executions and definition; its actions. */
export function JobPage() {
  const { params, query: search } = useRoute();
  const id = params['id'] ?? '';
  const now = useNow();
  const [removed, setRemoved] = useState(false);
  const job = useResource((signal) => api<Job>('GET', `/v1/jobs/${segment(id)}`, { signal }), id);
  const cursor = search['cursor'];
  const executions = useResource(
    (signal) =>
      api<Page<Execution>>(
        'GET',
        `/v1/jobs/${segment(id)}/executions${query({ limit: 20, cursor })}`,
        {
          signal,
        },
      ),
    `${id}|${cursor ?? ''}`,
  );
  useLive(ofJob(id), () => {
    job.reload();
    executions.reload();
  });
  useLive(
    (e) => e.type === 'job:removed' && e.data.jobId === id,
    () => setRemoved(true),
    0,
  );
  useRenderMark('job', job.data !== undefined && executions.data !== undefined);
  if (isNotFound(job.error) || removed)
    return (
      <section>
        <h1>{id}</h1>
        <p class="notice">
          This job does not exist (any more). <a href="/jobs">All jobs</a>
        </p>
      </section>
    );
  return (
    <>
      <h1 class="job-id">{id}</h1>
      <ErrorNotice error={job.error} />
      {job.data && <JobState job={job.data} now={now} onChanged={job.reload} />}
      <section aria-labelledby="executions-title">
        <h2 id="executions-title">Executions</h2>
        <ErrorNotice error={executions.error} />
        <ExecutionsTable
          items={executions.data?.items ?? []}
          now={now}
          showJob={false}
          busy={executions.loading}
        />
        {executions.data?.items.length === 0 && <p class="muted">No executions yet.</p>}
        {executions.data && <Pager listing={`job:${id}`} nextCursor={executions.data.nextCursor} />}
      </section>
      {job.data && (
        <section aria-labelledby="definition-title">
          <h2 id="definition-title">Definition</h2>
          <p class="sub">Secrets are shown as [redacted]; the service never sends them back.</p>
          <JsonView value={definitionOf(job.data)} label="Job definition" />
        </section>
      )}
    </>
  );
}

/** The job's summary, its actions (for a token that may write), next fires and statistics. */
function JobState({ job, now, onChanged }: { job: Job; now: number; onChanged: () => void }) {
  const canWrite = useCanWrite();
  return (
    <>
      <p class="summary">
        <PausedBadge paused={job.paused} /> · {scheduleWords(job.schedule)} (
        {scheduleZone(job.schedule)}) · <code>{scheduleText(job.schedule)}</code> · target{' '}
        <code>{job.target.type}</code>
        {job.maxFires !== undefined && ` · fire ${job.fireCount} of at most ${job.maxFires}`}
      </p>
      {canWrite && <JobActions job={job} onChanged={onChanged} />}
      <div class="grid">
        <section class="card" aria-labelledby="next-title">
          <h2 id="next-title">Next fires</h2>
          <p>
            Next: <Instant iso={job.nextFireAt} now={now} />
          </p>
          <JobFires job={job} />
        </section>
        <JobStatsCard job={job} now={now} />
      </div>
    </>
  );
}

/** The job's statistics, kept through the pruning of its executions. */
function JobStatsCard({ job, now }: { job: Job; now: number }) {
  const s = job.stats;
  return (
    <section class="card" aria-labelledby="stats-title">
      <h2 id="stats-title">Statistics</h2>
      <dl class="pairs">
        <dt>Last outcome</dt>
        <dd>
          <StatusBadge status={job.lastOutcome?.status} />{' '}
          {job.lastOutcome && <When iso={job.lastOutcome.at} now={now} />}
          {job.lastOutcome?.error && <span class="error-text sub">{job.lastOutcome.error}</span>}
        </dd>
        <dt>Success rate</dt>
        <dd>
          {successRate(s.succeeded, s.failed)} ({s.succeeded} succeeded, {s.failed} failed)
        </dd>
        <dt>Missed / skipped</dt>
        <dd>
          {s.missed} / {s.skipped}
        </dd>
        <dt>Last fire</dt>
        <dd>
          <When iso={s.lastFireAt} now={now} />
        </dd>
        <dt>Last success</dt>
        <dd>
          <When iso={s.lastSuccessAt} now={now} />
        </dd>
        <dt>Last failure</dt>
        <dd>
          <When iso={s.lastFailureAt} now={now} />
        </dd>
        {job.staleSince && (
          <>
            <dt>Stale since</dt>
            <dd class="error-text">{localTime(job.staleSince)}</dd>
          </>
        )}
        <dt>Version</dt>
        <dd>
          {job.version}, changed {localTime(job.updatedAt)}
        </dd>
      </dl>
    </section>
  );
}
