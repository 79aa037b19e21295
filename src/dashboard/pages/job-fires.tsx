import { api, query } from '../api/client';
import type { FirePreview, Job } from '../api/types';
import { ErrorNotice } from '../components/problem';
import { useResource } from '../hooks/use-resource';
import { FireList } from '../components/fire-list';

/** The preview query of a job's schedule: the same schedule code the scheduler fires with. */
export function previewQuery(job: Job, count: number): string {
  const s = job.schedule;
  const left = job.maxFires === undefined ? undefined : Math.max(0, job.maxFires - job.fireCount);
  const window = { endAt: 'endAt' in s ? s.endAt : undefined, maxFires: left };
  if (s.kind === 'cron')
    return query({ cron: s.expr, tz: s.tz, startAt: s.startAt, ...window, count });
  if (s.kind === 'interval')
    // An interval's anchor is not shown; its next fire is one of its instants.
    return query({
      every: String(s.every),
      startAt: s.startAt ?? job.nextFireAt ?? undefined,
      ...window,
      count,
    });
  if (s.kind === 'custom')
    return query({
      custom: s.name,
      params: s.params === undefined ? undefined : JSON.stringify(s.params),
      ...window,
      count,
    });
  return query({ at: s.at, count });
}

/** A job's next 10 fires, UTC and in its zone, DST moves marked. */
export function JobFires({ job }: { job: Job }) {
  const key = `${previewQuery(job, 10)}|${job.paused}|${job.nextFireAt}`;
  const fires = useResource(
    (signal) =>
      api<{ fires: FirePreview[] }>('GET', `/v1/schedules/preview${previewQuery(job, 10)}`, {
        signal,
      }),
    key,
  );
  if (job.paused) return <p class="muted">Paused: no fires until resumed.</p>;
  if (job.nextFireAt === null) return <p class="muted">No more fires: the schedule has run out.</p>;
  const list = fires.data?.fires ?? [];
  return (
    <>
      <ErrorNotice error={fires.error} />
      <FireList fires={list} />
      {fires.data && list.length === 0 && <p class="muted">No more fires.</p>}
    </>
  );
}
