/**
 * How a field of the job JSON Schema is edited: the widget its schema calls
 * for, and the conversion between the control's text and the JSON value.
 */
import type { JsonSchema } from '../../api/types';

/** The kinds of control the form renders. */
export type Widget =
  | 'fixed'
  | 'select'
  | 'boolean'
  | 'number'
  | 'text'
  | 'secret'
  | 'multiline'
  | 'duration'
  | 'object'
  | 'map'
  | 'lines'
  | 'json';

/** Fields whose text runs over many lines. */
const MULTILINE = new Set(['body', 'text', 'html']);

/** The widget for a field named `name` with `schema`. */
export function widgetOf(name: string, schema: JsonSchema): Widget {
  if (schema.const !== undefined) return 'fixed';
  if (options(schema) !== undefined) return 'select';
  const types = typesOf(schema);
  if (types.length === 2 && types.includes('number') && types.includes('string')) return 'duration';
  if (types.length !== 1) return 'json';
  switch (types[0]) {
    case 'boolean':
      return 'boolean';
    case 'integer':
    case 'number':
      return 'number';
    case 'string':
      if (schema['x-chime-secret'] === 'value') return 'secret';
      return MULTILINE.has(name) ? 'multiline' : 'text';
    case 'object':
      if (schema.properties) return 'object';
      return isStringMap(schema) ? 'map' : 'json';
    case 'array':
      return typesOf(schema.items ?? {}).join() === 'string' ? 'lines' : 'json';
    default:
      return 'json';
  }
}

/** The values an enumerated field takes, or undefined. */
export function options(schema: JsonSchema): string[] | undefined {
  if (schema.enum) return schema.enum.map(String);
  const consts = schema.anyOf?.map((s) => s.const);
  if (consts && consts.length > 0 && consts.every((c) => typeof c === 'string'))
    return consts as string[];
  return undefined;
}

/** The JSON types a schema accepts ('' for "anything"). */
function typesOf(schema: JsonSchema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.anyOf) return [...new Set(schema.anyOf.flatMap(typesOf))];
  return [''];
}

function isStringMap(schema: JsonSchema): boolean {
  const values = Object.values(schema.patternProperties ?? {});
  return values.length > 0 && values.every((v) => typesOf(v).includes('string'));
}

/** True when a schema accepts a string. */
export function acceptsString(schema: JsonSchema): boolean {
  const types = typesOf(schema);
  return types.includes('string') || types.includes('');
}

/** The control's text for a value. */
export function toText(widget: Widget, value: unknown, schema: JsonSchema): string {
  if (value === undefined || value === null) return '';
  switch (widget) {
    case 'map':
      return Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join('\n');
    case 'lines':
      return Array.isArray(value) ? value.map(String).join('\n') : String(value);
    case 'json':
      return typeof value === 'string' && acceptsString(schema)
        ? value
        : JSON.stringify(value, null, 2);
    default:
      return String(value);
  }
}

/**
 * The value a control's text stands for (undefined: leave the field out).
 * Text that does not convert is kept as text, so the service names the field.
 */
export function fromText(widget: Widget, text: string): unknown {
  if (text.trim() === '') return undefined;
  switch (widget) {
    case 'number':
      return Number.isFinite(Number(text)) ? Number(text) : text;
    case 'duration':
      return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim();
    case 'boolean':
      return text === 'true';
    case 'map':
      return Object.fromEntries(
        text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => {
            const at = line.indexOf(':');
            return at < 0
              ? [line.trim(), '']
              : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
          }),
      );
    case 'lines':
      return text.split('\n').filter((line) => line.trim() !== '');
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // Not JSON: plain text, which is what a field that takes strings wants (and
        // the service names any other field).
        return text;
      }
    default:
      return text;
  }
}

/** A field's label from its name: "maxAttempts" → "Max attempts". */
export function labelOf(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
