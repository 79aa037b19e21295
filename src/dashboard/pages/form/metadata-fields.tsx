import { useState } from 'preact/hooks';
import { Group } from './field';
import type { SetValue } from './schema-fields';

interface Row {
  key: string;
  value: string;
}

/** Metadata: string labels as key / value rows (filterable on the jobs page). */
export function MetadataFields(props: {
  value: Record<string, string> | undefined;
  onValue: SetValue;
}) {
  const [rows, setRows] = useState<Row[]>(() =>
    Object.entries(props.value ?? {}).map(([key, value]) => ({ key, value })),
  );
  const update = (next: Row[]) => {
    setRows(next);
    const entries = next.filter((row) => row.key !== '').map((row) => [row.key, row.value]);
    props.onValue('/metadata', entries.length === 0 ? undefined : Object.fromEntries(entries));
  };
  const edit = (i: number, field: keyof Row, text: string) =>
    update(rows.map((row, j) => (j === i ? { ...row, [field]: text } : row)));
  return (
    <Group
      path="/metadata"
      legend="Metadata"
      help="String labels, up to 64; keys of letters, digits and _ . : / -"
    >
      {rows.map((row, i) => (
        <div class="row metadata-row" key={i}>
          <label>
            Key {i + 1}
            <input
              value={row.key}
              spellcheck={false}
              onInput={(e) => edit(i, 'key', e.currentTarget.value)}
            />
          </label>
          <label>
            Value {i + 1}
            <input
              value={row.value}
              spellcheck={false}
              onInput={(e) => edit(i, 'value', e.currentTarget.value)}
            />
          </label>
          <button
            type="button"
            class="link"
            onClick={() => update(rows.filter((_, j) => j !== i))}
            aria-label={`Remove label ${i + 1}`}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => setRows([...rows, { key: '', value: '' }])}>
        Add a label
      </button>
    </Group>
  );
}
