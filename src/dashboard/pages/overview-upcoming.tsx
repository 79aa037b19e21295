import { useEffect, useRef } from 'preact/hooks';
import { api } from '../api/client';
import type { UpcomingFires } from '../api/types';
import { ErrorNotice } from '../components/problem';
import { When } from '../components/time';
import { Timeline } from '../components/timeline';
import { useLive } from '../hooks/use-live';
import { useNow } from '../hooks/use-now';
import { useRenderMark } from '../hooks/use-render-mark';
import { useResource } from '../hooks/use-resource';
import { duration, localTime } from '../lib/format';

/** Fires of one job the timeline asks for: a frequent job cannot crowd the others out. */
const PER_JOB = 100;

/** The next 24 hours of fires: a timeline, a countdown to the next, the first few listed. */
export function UpcomingSection() {
  const now = useNow();
  const upcoming = useResource(
    (signal) =>
      api<UpcomingFires>('GET', `/v1/fires/upcoming?limit=1000&perJob=${PER_JOB}`, { signal }),
    'upcoming',
  );
  useLive((e) => e.type.startsWith('job:'), upcoming.reload, 2000);
  const items = upcoming.data?.items ?? [];
  useRenderMark('overview', upcoming.data !== undefined);
  const future = items.filter((fire) => Date.parse(fire.at) > now);
  const next = future[0];
  // When the fires shown have passed, read the next ones (no polling meanwhile); at most
  // every 5 s, should this browser's clock run ahead of the service's.
  const lastRefresh = useRef(0);
  const stale = items.length > 0 && future.length < Math.min(items.length, 20);
  useEffect(() => {
    if (!stale || Date.now() - lastRefresh.current < 5000) return;
    lastRefresh.current = Date.now();
    upcoming.reload();
  }, [stale, now]);
  return (
    <section aria-labelledby="upcoming-title" class="card wide">
      <h2 id="upcoming-title">Next 24 hours</h2>
      <ErrorNotice error={upcoming.error} />
      {upcoming.data && (
        <>
          <p class="countdown" aria-live="off">
            {next ? (
              <>
                Next fire in <strong class="mono">{duration(Date.parse(next.at) - now)}</strong>:{' '}
                <a href={`/jobs/${encodeURIComponent(next.jobId)}`}>{next.jobId}</a>{' '}
                <span class="sub">{localTime(next.at)}</span>
              </>
            ) : (
              'Nothing fires in the next 24 hours.'
            )}
          </p>
          <Timeline
            fires={future}
            from={now}
            until={Date.parse(upcoming.data.until)}
            perJob={PER_JOB}
          />
          <p class="sub">
            {future.length}
            {upcoming.data.truncated ? ' (the first)' : ''} fires until{' '}
            {localTime(upcoming.data.until)}, at most {PER_JOB} of each job.
          </p>
          {future.length > 0 && (
            <ol class="fires">
              {future.slice(0, 8).map((fire) => (
                <li key={`${fire.jobId}@${fire.at}`}>
                  <When iso={fire.at} now={now} />{' '}
                  <a href={`/jobs/${encodeURIComponent(fire.jobId)}`}>{fire.jobId}</a>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}
