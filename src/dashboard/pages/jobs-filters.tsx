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
      <label>
        Target type
        <select
          value={params['targetType'] ?? ''}
          onChange={(e) => set({ targetType: e.currentTarget.value })}
        >
          <option value="">any</option>
          {types.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </label>
      <label>
        State
        <select
          value={params['paused'] ?? ''}
          onChange={(e) => set({ paused: e.currentTarget.value })}
        >
          <option value="">any</option>
          <option value="false">active</option>
          <option value="true">paused</option>
        </select>
      </label>
      <label>
        Last outcome
        <select
          value={params['lastOutcome'] ?? ''}
          onChange={(e) => set({ lastOutcome: e.currentTarget.value })}
        >
          <option value="">any</option>
          {OUTCOMES.map((outcome) => (
            <option key={outcome} value={outcome}>
              {outcome === 'none' ? 'never ran' : outcome}
            </option>
          ))}
        </select>
      </label>
      <label>
        Per page
        <select
          value={params['limit'] ?? '50'}
          onChange={(e) => set({ limit: e.currentTarget.value })}
        >
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </label>
    </form>
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
