import { localTime, relative, utcTime } from '../lib/format';

/** An instant relative to now ("in 5 min"), its absolute local and UTC times in a tooltip. */
export function When({ iso, now }: { iso: string | null | undefined; now: number }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={`${localTime(iso)}\n${utcTime(iso)}`}>
      {relative(iso, now)}
    </time>
  );
}

/** An instant relative to now, then local and UTC on lines of their own. */
export function Instant({ iso, now }: { iso: string | null | undefined; now: number }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <span class="instant">
      <time dateTime={iso}>{relative(iso, now)}</time>
      <span class="sub">{localTime(iso)}</span>
      <span class="sub">{utcTime(iso)}</span>
    </span>
  );
}
