import { useEffect, useState } from 'preact/hooks';
import type { JsonSchema } from '../../api/types';
import { REDACTED_HINT } from './hints';
import { Field, Group, type ControlAttributes } from './field';
import { fromText, labelOf, options, toText, widgetOf, type Widget } from './widgets';

/** Writes one value of the draft (undefined removes it). */
export type SetValue = (path: string, value: unknown) => void;

/** The fields of an object schema at `base`, each edited by the widget its schema calls for. */
export function SchemaFields(props: {
  schema: JsonSchema;
  value: Record<string, unknown> | undefined;
  base: string;
  onValue: SetValue;
  skip?: readonly string[];
}) {
  const required = new Set(props.schema.required ?? []);
  return (
    <>
      {Object.entries(props.schema.properties ?? {})
        .filter(([name]) => !props.skip?.includes(name))
        .map(([name, schema]) => (
          <SchemaField
            key={`${props.base}/${name}`}
            name={name}
            schema={schema}
            path={`${props.base}/${name}`}
            value={props.value?.[name]}
            required={required.has(name)}
            onValue={props.onValue}
          />
        ))}
    </>
  );
}

/** One field of the schema. */
export function SchemaField(props: {
  name: string;
  schema: JsonSchema;
  path: string;
  value: unknown;
  required: boolean;
  onValue: SetValue;
}) {
  const widget = widgetOf(props.name, props.schema);
  if (widget === 'fixed') return null;
  if (widget === 'object')
    return (
      <Group path={props.path} legend={labelOf(props.name)} help={props.schema.description}>
        <SchemaFields
          schema={props.schema}
          value={props.value as Record<string, unknown> | undefined}
          base={props.path}
          onValue={props.onValue}
        />
      </Group>
    );
  return <TextField {...props} widget={widget} />;
}

/** A field edited as text (or a choice), converted to its JSON value as it changes. */
function TextField(props: {
  name: string;
  schema: JsonSchema;
  path: string;
  value: unknown;
  required: boolean;
  widget: Widget;
  onValue: SetValue;
}) {
  const { schema, widget } = props;
  const [text, setText] = useState(() => toText(widget, props.value, schema));
  // A value changed elsewhere (the raw editor) shows here too.
  useEffect(() => {
    if (fromTextEquals(widget, text, props.value)) return;
    setText(toText(widget, props.value, schema));
  }, [props.value]);
  const change = (next: string) => {
    setText(next);
    props.onValue(props.path, fromText(widget, next));
  };
  const help = helpOf(props.schema, widget);
  return (
    <Field path={props.path} label={labelOf(props.name)} help={help} required={props.required}>
      {(attrs) => control(widget, schema, text, change, attrs)}
    </Field>
  );
}

function control(
  widget: Widget,
  schema: JsonSchema,
  text: string,
  change: (text: string) => void,
  attrs: ControlAttributes,
) {
  const onInput = (e: { currentTarget: { value: string } }) => change(e.currentTarget.value);
  if (widget === 'select' || widget === 'boolean') {
    const values = widget === 'boolean' ? ['true', 'false'] : (options(schema) ?? []);
    return (
      <select {...attrs} value={text} onChange={onInput}>
        <option value="">
          {schema.default === undefined ? '(not set)' : `(default: ${String(schema.default)})`}
        </option>
        {values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    );
  }
  if (['multiline', 'map', 'lines', 'json'].includes(widget))
    return (
      <textarea
        {...attrs}
        class="code"
        rows={widget === 'json' ? 4 : 3}
        spellcheck={false}
        value={text}
        onInput={onInput}
      />
    );
  if (widget === 'secret')
    return (
      <input
        {...attrs}
        type="password"
        autocomplete="new-password"
        value={text}
        onInput={onInput}
      />
    );
  if (widget === 'number') return <input {...attrs} type="number" value={text} onInput={onInput} />;
  return (
    <input
      {...attrs}
      type="text"
      autocomplete="off"
      spellcheck={false}
      value={text}
      onInput={onInput}
    />
  );
}

function helpOf(schema: JsonSchema, widget: Widget): string | undefined {
  const extra: Partial<Record<Widget, string>> = {
    duration: 'Milliseconds, or such as 500ms, 5s, 10m, 2h.',
    map: 'One "Name: value" per line.',
    lines: 'One per line.',
    json: 'JSON (or plain text).',
  };
  const secret = schema['x-chime-secret'] ? REDACTED_HINT : undefined;
  const parts = [schema.description ?? extra[widget], secret];
  const text = parts.filter((p) => p !== undefined && p !== '').join(' ');
  return text === '' ? undefined : text;
}

/** True when the text already stands for the value (so typing is not overwritten). */
function fromTextEquals(widget: Widget, text: string, value: unknown): boolean {
  return JSON.stringify(fromText(widget, text)) === JSON.stringify(value);
}
