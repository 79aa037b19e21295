import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, query } from '../../api/client';
import type { FirePreview } from '../../api/types';
import { utcTime, wallTime } from '../../lib/format';
import { fromLocalInput, toLocalInput } from './datetime';
import { Field, Group } from './field';
import type { SetValue } from './schema-fields';

type Kind = 'cron' | 'interval' | 'once';
type ScheduleDraft = Record<string, unknown> & { kind?: Kind };

const KIND_HELP: Record<Kind, string> = {
  cron: 'Minute hour day-of-month month day-of-week (seconds first when 6 fields); @hourly, @daily…; L, W and # allowed.',
  interval: 'Fires at start + k × interval, never re-anchored to when a run happened.',
  once: 'Fires once, then the job is completed.',
};

/** The preview's parameter names, as schedule field paths (its errors point at these). */
const PREVIEW_PATHS: Record<string, string> = {
  '/cron': '/schedule/expr',
  '/tz': '/schedule/tz',
  '/every': '/schedule/every',
  '/at': '/schedule/at',
  '/startAt': '/schedule/startAt',
  '/endAt': '/schedule/endAt',
};

/** The schedule: its kind and fields, with its next fires previewed as it is typed. */
export function ScheduleFields(props: {
  schedule: ScheduleDraft;
  onValue: SetValue;
  onPreviewError: (error: { path: string; message: string } | null) => void;
}) {
  const s = props.schedule;
  const kind: Kind = s.kind ?? 'cron';
  const zones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);
  const text = (field: string) =>
    typeof s[field] === 'string' || typeof s[field] === 'number' ? String(s[field]) : '';
  const set = (field: string) => (e: { currentTarget: { value: string } }) =>
    props.onValue(
      `/schedule/${field}`,
      e.currentTarget.value === '' ? undefined : e.currentTarget.value,
    );
  const setInstant = (field: string) => (e: { currentTarget: { value: string } }) =>
    props.onValue(`/schedule/${field}`, fromLocalInput(e.currentTarget.value));
  const setKind = (next: Kind) => props.onValue('/schedule', { kind: next });
  return (
    <Group path="/schedule" legend="Schedule">
      <div class="radios" role="radiogroup" aria-label="Kind of schedule">
        {(['cron', 'interval', 'once'] as const).map((k) => (
          <label key={k}>
            <input
              type="radio"
              name="schedule-kind"
              value={k}
              checked={kind === k}
              onChange={() => setKind(k)}
            />{' '}
            {k}
          </label>
        ))}
      </div>
      <p class="help">{KIND_HELP[kind]}</p>
      {kind === 'cron' && (
        <>
          <Field path="/schedule/expr" label="Cron expression" required>
            {(attrs) => (
              <input
                {...attrs}
                class="mono"
                spellcheck={false}
                value={text('expr')}
                onInput={set('expr')}
                placeholder="0 3 * * *"
              />
            )}
          </Field>
          <Field
            path="/schedule/tz"
            label="Time zone"
            help={`An IANA zone; empty means UTC. This browser: ${Intl.DateTimeFormat().resolvedOptions().timeZone}.`}
          >
            {(attrs) => (
              <>
                <input
                  {...attrs}
                  list="time-zones"
                  value={text('tz')}
                  onInput={set('tz')}
                  placeholder="UTC"
                />
                <datalist id="time-zones">
                  {zones.map((zone) => (
                    <option key={zone} value={zone} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
        </>
      )}
      {kind === 'interval' && (
        <Field
          path="/schedule/every"
          label="Every"
          required
          help="Milliseconds, or such as 30s, 5m, 2h, 1d."
        >
          {(attrs) => (
            <input
              {...attrs}
              class="mono"
              value={text('every')}
              onInput={set('every')}
              placeholder="5m"
            />
          )}
        </Field>
      )}
      {kind === 'once' && (
        <Field path="/schedule/at" label="At (your local time)" required>
          {(attrs) => (
            <input
              {...attrs}
              type="datetime-local"
              step={1}
              value={toLocalInput(s['at'])}
              onInput={setInstant('at')}
            />
          )}
        </Field>
      )}
      {kind !== 'once' && (
        <div class="row">
          <Field
            path="/schedule/startAt"
            label={kind === 'interval' ? 'Start (first fire; default now)' : 'Start (optional)'}
          >
            {(attrs) => (
              <input
                {...attrs}
                type="datetime-local"
                step={1}
                value={toLocalInput(s['startAt'])}
                onInput={setInstant('startAt')}
              />
            )}
          </Field>
          <Field path="/schedule/endAt" label="End (optional)">
            {(attrs) => (
              <input
                {...attrs}
                type="datetime-local"
                step={1}
                value={toLocalInput(s['endAt'])}
                onInput={setInstant('endAt')}
              />
            )}
          </Field>
        </div>
      )}
      <SchedulePreview schedule={{ ...s, kind }} onError={props.onPreviewError} />
    </Group>
  );
}

/** The next fires of the schedule being typed, from the service (the scheduler's own code). */
function SchedulePreview(props: {
  schedule: ScheduleDraft;
  onError: (e: { path: string; message: string } | null) => void;
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
      {fires && fires.length > 0 && (
        <ol class="fire-list" data-testid="preview">
          {fires.map((fire) => (
            <li key={fire.utc} class={fire.dstShifted ? 'dst' : undefined}>
              <span class="mono">{wallTime(fire.local)}</span>{' '}
              <span class="muted">({fire.tz})</span>
              {fire.tz !== 'UTC' && <span class="sub">{utcTime(fire.utc)}</span>}
              {fire.dstShifted && (
                <span class="dst-note">
                  <span class="badge badge-dst">DST</span> {fire.note ?? ''}
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
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
