import { clockTime, localTime } from '../lib/format';

const WIDTH = 1000;
const LANE = 16;
/** Lanes of their own; the other jobs share one. */
const MAX_LANES = 10;

interface Fire {
  jobId: string;
  at: string;
}

interface Lane {
  key: string;
  label: string;
  href: string | undefined;
  times: number[];
  /** The job had as many fires as the service lists per job: more may follow. */
  capped: boolean;
}

/**
 * Fires on a time axis from `from` to `until`, one lane per job (soonest
 * first; the rest share a lane), a tick per fire, hours labelled every 3 hours.
 */
export function Timeline(props: {
  fires: readonly Fire[];
  from: number;
  until: number;
  perJob: number;
}) {
  const span = Math.max(1, props.until - props.from);
  const x = (ms: number) => ((ms - props.from) / span) * WIDTH;
  const lanes = lanesOf(props.fires, props.perJob);
  const hours: number[] = [];
  for (let t = Math.ceil(props.from / 3_600_000) * 3_600_000; t <= props.until; t += 3 * 3_600_000)
    hours.push(t);
  return (
    <div class="timeline">
      {lanes.map((lane) => (
        <div class="lane" key={lane.key}>
          <span class="lane-label">
            {lane.href ? <a href={lane.href}>{lane.label}</a> : lane.label}{' '}
            {lane.href && (
              <span class="muted">
                {lane.times.length}
                {lane.capped ? '+' : ''}
              </span>
            )}
          </span>
          <svg
            viewBox={`0 0 ${WIDTH} ${LANE}`}
            preserveAspectRatio="none"
            role="img"
            aria-label={laneText(lane)}
          >
            <line class="lane-axis" x1={0} y1={LANE / 2} x2={WIDTH} y2={LANE / 2} />
            {lane.times.map((t, i) => (
              <line key={i} class="fire" x1={x(t)} y1={2} x2={x(t)} y2={LANE - 2} />
            ))}
          </svg>
        </div>
      ))}
      <div class="lane lane-hours" aria-hidden="true">
        <span class="lane-label" />
        <div class="hours">
          {hours.map((t) => (
            // Positioned through the CSSOM, which the page's style-src 'self' allows.
            <span
              key={t}
              class="hour"
              style={{ left: `${(((t - props.from) / span) * 100).toFixed(3)}%` }}
            >
              {clockTime(new Date(t).toISOString()).slice(0, 5)}
            </span>
          ))}
        </div>
      </div>
    </div>
  );
}

function lanesOf(fires: readonly Fire[], perJob: number): Lane[] {
  const byJob = new Map<string, number[]>();
  for (const fire of fires) {
    const times = byJob.get(fire.jobId) ?? [];
    times.push(Date.parse(fire.at));
    byJob.set(fire.jobId, times);
  }
  const jobs = [...byJob.entries()];
  const lanes: Lane[] = jobs.slice(0, MAX_LANES).map(([jobId, times]) => ({
    key: `job:${jobId}`,
    label: jobId,
    href: `/jobs/${encodeURIComponent(jobId)}`,
    times,
    capped: times.length >= perJob,
  }));
  const rest = jobs.slice(MAX_LANES);
  if (rest.length > 0)
    lanes.push({
      key: 'others',
      label: `${rest.length} more jobs`,
      href: undefined,
      times: rest.flatMap(([, times]) => times),
      capped: false,
    });
  return lanes;
}

function laneText(lane: Lane): string {
  const first = lane.times[0];
  const when =
    first === undefined ? '' : `, the first at ${localTime(new Date(first).toISOString())}`;
  return `${lane.label}: ${lane.times.length}${lane.capped ? ' or more' : ''} fires${when}`;
}
