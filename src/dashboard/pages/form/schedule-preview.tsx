import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, query } from '../../api/client';
import type { FirePreview } from '../../api/types';
import { FireList } from '../../components/fire-list';

/** A schedule as the form holds it. */
export type ScheduleDraft = Record<string, unknown> & { kind?: 'cron' | 'interval' | 'once' };

/** A preview error, at the schedule field it names. */
export interface PreviewError {
  path: string;
  message: string;
}

/** The preview's parameter names, as schedule field paths (its errors point at these). */
const PREVIEW_PATHS: Record<string, string> = {
  '/cron': '/schedule/expr',
  '/tz': '/schedule/tz',
  '/every': '/schedule/every',
  '/at': '/schedule/at',
  '/startAt': '/schedule/startAt',
  '/endAt': '/schedule/endAt',
};

/**
 * The next fires of the schedule being typed, from the service (the
 * scheduler's own code), asked a moment after typing stops; its errors go to
 * the field they name.
 */
export function SchedulePreview(props: {
  schedule: ScheduleDraft;
  onError: (error: PreviewError | null) => void;
}) {
  const search = previewSearch(props.schedule);
  const [fires, setFires] = useState<FirePreview[] | null>(null);
  useEffect(() => {
    if (search === null) {
      setFires(null);
      props.onError(null);
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      api<{ fires: FirePreview[] }>('GET', `/v1/schedules/preview${search}`, {
        signal: controller.signal,
      }).then(
        (answer) => {
          setFires(answer.fires);
          props.onError(null);
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          setFires(null);
          if (error instanceof ApiError)
            props.onError({
              path: PREVIEW_PATHS[error.path ?? ''] ?? '/schedule',
              message: error.message,
            });
        },
      );
    }, 250);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [search]);
  return (
    <div class="preview" aria-live="polite">
      <h3>Next fires</h3>
      {fires === null && <p class="muted">Fill in the schedule to see its next fires.</p>}
      {fires?.length === 0 && <p class="muted">This schedule fires no more.</p>}
      {fires && fires.length > 0 && <FireList fires={fires} />}
    </div>
  );
}

function previewSearch(s: ScheduleDraft): string | null {
  const str = (v: unknown) =>
    typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  const window = { startAt: str(s['startAt']), endAt: str(s['endAt']), count: 5 };
  if (s.kind === 'cron')
    return s['expr'] ? query({ cron: str(s['expr']), tz: str(s['tz']), ...window }) : null;
  if (s.kind === 'interval')
    return s['every'] ? query({ every: str(s['every']), ...window }) : null;
  return s['at'] ? query({ at: str(s['at']), count: 1 }) : null;
}
