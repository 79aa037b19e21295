import { useState } from 'preact/hooks';
import { api, query as toQuery } from '../api/client';
import type { Job, Page } from '../api/types';
import { Pager } from '../components/pager';
import { ErrorNotice } from '../components/problem';
import { PausedBadge, StatusBadge } from '../components/status';
import { Instant, When } from '../components/time';
import { useLive } from '../hooks/use-live';
import { useNow } from '../hooks/use-now';
import { useQuery } from '../hooks/use-query';
import { useRenderMark } from '../hooks/use-render-mark';
import { useResource } from '../hooks/use-resource';
import { successRate } from '../lib/format';
import { scheduleText, scheduleWords, scheduleZone } from '../lib/schedule-words';
import { JobFilters } from './jobs-filters';

/** The API query of the jobs page: its URL's filters, cursor and page size, passed through. */
function apiQuery(params: Record<string, string>): string {
  const pass: Record<string, string> = { limit: params['limit'] ?? '50' };
  for (const [key, value] of Object.entries(params)) {
    if (
      ['q', 'targetType', 'paused', 'lastOutcome', 'cursor'].includes(key) ||
      key.startsWith('metadata.')
    )
      pass[key] = value;
  }
  return toQuery(pass);
}

/** Every job, filtered and paged by the URL; updated live. */
export function JobsPage() {
  const [params] = useQuery();
  const now = useNow();
  const search = apiQuery(params);
  const jobs = useResource(
    (signal) => api<Page<Job>>('GET', `/v1/jobs${search}`, { signal }),
    search,
  );
  const [created, setCreated] = useState(0);
  const onPage = new Set((jobs.data?.items ?? []).map((job) => job.id));
  useLive(
    (e) => e.type !== 'job:created' && e.data.jobId !== undefined && onPage.has(e.data.jobId),
    jobs.reload,
    2000,
  );
  useLive(
    (e) => e.type === 'job:created',
    () => setCreated((n) => n + 1),
    500,
  );
  const items = jobs.data?.items ?? [];
  useRenderMark('jobs', jobs.data !== undefined);
  return (
    <>
      <h1>Jobs</h1>
      <JobFilters />
      {created > 0 && (
        <p class="notice" role="status">
          New jobs were created.{' '}
          <button
            type="button"
            class="link"
            onClick={() => {
              setCreated(0);
              jobs.reload();
            }}
          >
            Show them
          </button>
        </p>
      )}
      <ErrorNotice error={jobs.error} />
      <div class="scroll">
        <table class="jobs" aria-busy={jobs.loading}>
          <colgroup>
            {['job', 'schedule', 'next', 'outcome', 'success', 'state'].map((name) => (
              <col key={name} class={`col-${name}`} />
            ))}
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Schedule</th>
              <th scope="col">Next fire</th>
              <th scope="col">Last outcome</th>
              <th scope="col">Success</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {items.map((job) => (
              <JobRow key={job.id} job={job} now={now} />
            ))}
          </tbody>
        </table>
      </div>
      {jobs.data && items.length === 0 && (
        <p class="muted">
          {jobs.data.nextCursor ? 'No match yet; look further on the next page.' : 'No jobs match.'}
        </p>
      )}
      {jobs.data && <Pager listing="jobs" nextCursor={jobs.data.nextCursor} />}
    </>
  );
}

function JobRow({ job, now }: { job: Job; now: number }) {
  return (
    <tr>
      <th scope="row">
        <a href={`/jobs/${encodeURIComponent(job.id)}`}>{job.id}</a>
        <span class="sub">{job.target.type}</span>
      </th>
      <td>
        {scheduleWords(job.schedule)}
        <span class="sub">
          <code>{scheduleText(job.schedule)}</code> · {scheduleZone(job.schedule)}
        </span>
      </td>
      <td>
        <Instant iso={job.nextFireAt} now={now} />
      </td>
      <td>
        <StatusBadge status={job.lastOutcome?.status} />
        {job.lastOutcome && (
          <span class="sub">
            <When iso={job.lastOutcome.at} now={now} />
          </span>
        )}
      </td>
      <td>
        {successRate(job.stats.succeeded, job.stats.failed)}
        <span class="sub">
          {job.stats.succeeded} ok · {job.stats.failed} failed
        </span>
      </td>
      <td>
        <PausedBadge paused={job.paused} />
      </td>
    </tr>
  );
}
