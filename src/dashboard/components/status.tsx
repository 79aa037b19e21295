/** An execution status or last outcome: a coloured mark and its name (the colour is never the only sign). */
export function StatusBadge({ status }: { status: string | null | undefined }) {
  const name = status ?? 'none';
  return (
    <span class={`status status-${name}`}>
      <span class="dot" aria-hidden="true" />
      {name === 'none' ? 'never ran' : name}
    </span>
  );
}

/** A paused job's mark. */
export function PausedBadge({ paused }: { paused: boolean }) {
  return paused ? (
    <span class="badge badge-paused">paused</span>
  ) : (
    <span class="muted">active</span>
  );
}
