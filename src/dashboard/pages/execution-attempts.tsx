import type { Execution } from '../api/types';
import { duration, localTime } from '../lib/format';

/**
 * An execution's attempts on one time axis, from the fire to the end (or
 * now): each attempt a bar coloured by its outcome, the waits between them
 * (retry backoff) as gaps; the same attempts listed below as text.
 */
export function AttemptsTimeline({ execution, now }: { execution: Execution; now: number }) {
  const attempts = execution.attempts;
  const running = execution.status === 'running' && execution.startedAt !== null;
  if (attempts.length === 0 && !running) return <p class="muted">No attempt has run yet.</p>;
  const start = Date.parse(execution.fireAt);
  const bars = attempts.map((a) => ({
    key: String(a.attempt),
    from: Date.parse(a.startedAt),
    to: Date.parse(a.finishedAt),
    outcome: a.outcome as string,
    label: `attempt ${a.attempt}: ${a.outcome}`,
  }));
  if (running && execution.startedAt)
    bars.push({
      key: 'running',
      from: Date.parse(execution.startedAt),
      to: now,
      outcome: 'running',
      label: `attempt ${execution.attempt}: running`,
    });
  const end = Math.max(start + 1, ...bars.map((b) => b.to));
  const x = (ms: number) => ((ms - start) / (end - start)) * 1000;
  return (
    <>
      <svg
        class="attempts"
        viewBox={`0 0 1000 ${bars.length * 22 + 4}`}
        role="img"
        aria-label="Attempts over time"
      >
        {bars.map((bar, i) => (
          <rect
            key={bar.key}
            class={`attempt attempt-${bar.outcome}`}
            x={x(bar.from)}
            y={i * 22 + 2}
            width={Math.max(2, x(bar.to) - x(bar.from))}
            height={18}
          >
            <title>{`${bar.label}, ${duration(bar.to - bar.from)}`}</title>
          </rect>
        ))}
      </svg>
      <ol class="attempt-list">
        {attempts.map((a) => (
          <li key={a.attempt}>
            <strong>Attempt {a.attempt}</strong>:{' '}
            <span class={`outcome outcome-${a.outcome}`}>{a.outcome}</span> after{' '}
            {duration(Date.parse(a.finishedAt) - Date.parse(a.startedAt))}, started{' '}
            {localTime(a.startedAt)} on <span class="mono">{a.owner}</span>
            {a.error && <span class="error-text sub">{a.error.message}</span>}
          </li>
        ))}
        {running && execution.startedAt && (
          <li>
            <strong>Attempt {execution.attempt}</strong>: running for{' '}
            {duration(now - Date.parse(execution.startedAt))}
          </li>
        )}
      </ol>
    </>
  );
}
