import type { FirePreview } from '../api/types';
import { utcTime, wallTime } from '../lib/format';

/** Previewed fires: local wall time in the schedule's zone, UTC, DST moves marked. */
export function FireList({ fires }: { fires: readonly FirePreview[] }) {
  return (
    <ol class="fire-list" data-testid="preview">
      {fires.map((fire) => (
        <li key={fire.utc} class={fire.dstShifted ? 'dst' : undefined}>
          <span class="mono">{wallTime(fire.local)}</span> <span class="muted">({fire.tz})</span>
          {fire.tz !== 'UTC' && <span class="sub">{utcTime(fire.utc)}</span>}
          {fire.dstShifted && (
            <span class="dst-note">
              <span class="badge badge-dst">DST</span>{' '}
              {fire.note ?? 'moved by a daylight-saving change'}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
