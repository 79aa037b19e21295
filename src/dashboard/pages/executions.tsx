import { api, query } from '../api/client';
import { EXECUTION_STATUSES, type Execution, type Page } from '../api/types';
import { ExecutionsTable } from '../components/executions-table';
import { Pager } from '../components/pager';
import { ErrorNotice } from '../components/problem';
import { useLive } from '../hooks/use-live';
import { useNow } from '../hooks/use-now';
import { useQuery } from '../hooks/use-query';
import { useRenderMark } from '../hooks/use-render-mark';
import { useResource } from '../hooks/use-resource';
import { useEffect, useState } from 'preact/hooks';

/** Every execution, newest first, filtered by status and job (in the URL); the first page live. */
export function ExecutionsPage() {
  const [params, update] = useQuery();
  const now = useNow();
  const search = query({
    status: params['status'],
    jobId: params['jobId'],
    cursor: params['cursor'],
    limit: 50,
  });
  const executions = useResource(
    (signal) => api<Page<Execution>>('GET', `/v1/executions${search}`, { signal }),
    search,
  );
  const firstPage = params['cursor'] === undefined;
  useLive(
    (e) =>
      firstPage &&
      e.type.startsWith('execution:') &&
      (params['jobId'] === undefined || e.data.jobId === params['jobId']),
    executions.reload,
    1000,
  );
  useRenderMark('executions', executions.data !== undefined);
  const set = (changes: Record<string, string | undefined>) =>
    update({ ...changes, cursor: undefined });
  return (
    <>
      <h1>Executions</h1>
      <form
        class="filters"
        role="search"
        aria-label="Filter executions"
        onSubmit={(e) => e.preventDefault()}
      >
        <label>
          Status
          <select
            value={params['status'] ?? ''}
            onChange={(e) => set({ status: e.currentTarget.value })}
          >
            <option value="">any</option>
            {EXECUTION_STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <JobIdFilter value={params['jobId'] ?? ''} onValue={(jobId) => set({ jobId })} />
      </form>
      <ErrorNotice error={executions.error} />
      <ExecutionsTable
        items={executions.data?.items ?? []}
        now={now}
        showJob
        busy={executions.loading}
      />
      {executions.data && executions.data.items.length === 0 && (
        <p class="muted">No executions match.</p>
      )}
      {executions.data && <Pager listing="executions" nextCursor={executions.data.nextCursor} />}
    </>
  );
}

function JobIdFilter(props: { value: string; onValue: (value: string) => void }) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  return (
    <label for="filter-job">
      Job id
      <input
        id="filter-job"
        type="search"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onChange={() => props.onValue(text.trim())}
      />
    </label>
  );
}
