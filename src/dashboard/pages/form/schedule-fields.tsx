import { useMemo } from 'preact/hooks';
import { fromLocalInput, toLocalInput } from './datetime';
import { Field, Group } from './field';
import type { SetValue } from './schema-fields';
import { SchedulePreview, type PreviewError, type ScheduleDraft } from './schedule-preview';

type Kind = 'cron' | 'interval' | 'once';

const KIND_HELP: Record<Kind, string> = {
  cron: 'Minute hour day-of-month month day-of-week (seconds first when 6 fields); @hourly, @daily…; L, W and # allowed.',
  interval: 'Fires at start + k × interval, never re-anchored to when a run happened.',
  once: 'Fires once, then the job is completed.',
};

/** What each group of schedule fields is given. */
interface Part {
  schedule: ScheduleDraft;
  onValue: SetValue;
}

/** The text of a schedule field ('' when unset). */
function textOf(schedule: ScheduleDraft, field: string): string {
  const value = schedule[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** Writes a schedule field from a text control ('' leaves it out). */
function setText(onValue: SetValue, field: string) {
  return (e: { currentTarget: { value: string } }) =>
    onValue(`/schedule/${field}`, e.currentTarget.value === '' ? undefined : e.currentTarget.value);
}

/** The schedule: its kind and fields, with its next fires previewed as it is typed. */
export function ScheduleFields(
  props: Part & { onPreviewError: (error: PreviewError | null) => void },
) {
  const kind: Kind = props.schedule.kind ?? 'cron';
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
              onChange={() => props.onValue('/schedule', { kind: k })}
            />{' '}
            {k}
          </label>
        ))}
      </div>
      <p class="help">{KIND_HELP[kind]}</p>
      {kind === 'cron' && <CronFields {...props} />}
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
              value={textOf(props.schedule, 'every')}
              onInput={setText(props.onValue, 'every')}
              placeholder="5m"
            />
          )}
        </Field>
      )}
      {kind === 'once' ? (
        <InstantField {...props} field="at" label="At (your local time)" required />
      ) : (
        <div class="row">
          <InstantField
            {...props}
            field="startAt"
            label={kind === 'interval' ? 'Start (first fire; default now)' : 'Start (optional)'}
          />
          <InstantField {...props} field="endAt" label="End (optional)" />
        </div>
      )}
      <SchedulePreview schedule={{ ...props.schedule, kind }} onError={props.onPreviewError} />
    </Group>
  );
}

/** A cron expression and its time zone (picked from the browser's list of IANA zones). */
function CronFields({ schedule, onValue }: Part) {
  const zones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <>
      <Field path="/schedule/expr" label="Cron expression" required>
        {(attrs) => (
          <input
            {...attrs}
            class="mono"
            spellcheck={false}
            value={textOf(schedule, 'expr')}
            onInput={setText(onValue, 'expr')}
            placeholder="0 3 * * *"
          />
        )}
      </Field>
      <Field
        path="/schedule/tz"
        label="Time zone"
        help={`An IANA zone; empty means UTC. This browser: ${here}.`}
      >
        {(attrs) => (
          <>
            <input
              {...attrs}
              list="time-zones"
              value={textOf(schedule, 'tz')}
              onInput={setText(onValue, 'tz')}
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
  );
}

/** An instant of the schedule, typed as wall time in the browser's zone. */
function InstantField(props: Part & { field: string; label: string; required?: boolean }) {
  return (
    <Field path={`/schedule/${props.field}`} label={props.label} required={props.required}>
      {(attrs) => (
        <input
          {...attrs}
          type="datetime-local"
          step={1}
          value={toLocalInput(props.schedule[props.field])}
          onInput={(e) =>
            props.onValue(`/schedule/${props.field}`, fromLocalInput(e.currentTarget.value))
          }
        />
      )}
    </Field>
  );
}
