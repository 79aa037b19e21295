import { useEffect, useState } from 'preact/hooks';
import { jobSchema, targetVariants } from '../api/job-schema';
import { useQuery } from '../hooks/use-query';
import { useResource } from '../hooks/use-resource';

const OUTCOMES = ['succeeded', 'failed', 'missed', 'skipped', 'cancelled', 'none'];
const PAGE_SIZES = ['25', '50', '100', '200'];

/** The jobs page's filters: all of them in the URL, so a filtered view can be shared. */
export function JobFilters() {
  const [params, update] = useQuery();
  const schema = useResource(() => jobSchema(), 'schema');
  const types = schema.data ? [...targetVariants(schema.data).keys()] : [];
  const metadataText = Object.entries(params)
    .filter(([key]) => key.startsWith('metadata.'))
    .map(([key, value]) => `${key.slice('metadata.'.length)}=${value}`)
    .join(' ');
  const set = (changes: Record<string, string | undefined>) =>
    update({ ...changes, cursor: undefined });
  const setMetadata = (text: string) => {
    const changes: Record<string, string | undefined> = {};
    for (const key of Object.keys(params))
      if (key.startsWith('metadata.')) changes[key] = undefined;
    for (const pair of text.split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) changes[`metadata.${pair.slice(0, at)}`] = pair.slice(at + 1);
    }
    set(changes);
  };
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter jobs"
      onSubmit={(e) => e.preventDefault()}
    >
      <DebouncedInput
        id="filter-q"
        label="Id contains"
        value={params['q'] ?? ''}
        onValue={(q) => set({ q })}
      />
      <DebouncedInput
        id="filter-metadata"
        label="Metadata (key=value …)"
        value={metadataText}
        onValue={setMetadata}
      />
      <Choice
        label="Target type"
        value={params['targetType']}
        options={types.map((t) => [t, t])}
        onValue={(targetType) => set({ targetType })}
      />
      <Choice
        label="State"
        value={params['paused']}
        options={[
          ['false', 'active'],
          ['true', 'paused'],
        ]}
        onValue={(paused) => set({ paused })}
      />
      <Choice
        label="Last outcome"
        value={params['lastOutcome']}
        options={OUTCOMES.map((o) => [o, o === 'none' ? 'never ran' : o])}
        onValue={(lastOutcome) => set({ lastOutcome })}
      />
      <Choice
        label="Per page"
        value={params['limit'] ?? '50'}
        options={PAGE_SIZES.map((size) => [size, size])}
        onValue={(limit) => set({ limit })}
        any={false}
      />
    </form>
  );
}

/** A labelled choice of values (`any`: a first option that means "no filter"). */
function Choice(props: {
  label: string;
  value: string | undefined;
  options: [string, string][];
  onValue: (value: string) => void;
  any?: boolean;
}) {
  return (
    <label>
      {props.label}
      <select value={props.value ?? ''} onChange={(e) => props.onValue(e.currentTarget.value)}>
        {props.any !== false && <option value="">any</option>}
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A text input that reports its value a moment after typing stops (or on Enter). */
function DebouncedInput(props: {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
}) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  useEffect(() => {
    if (text === props.value) return;
    const timer = window.setTimeout(() => props.onValue(text), 300);
    return () => window.clearTimeout(timer);
  }, [text]);
  return (
    <label for={props.id}>
      {props.label}
      <input
        id={props.id}
        type="search"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') props.onValue(text);
        }}
      />
    </label>
  );
}
