/**
 * fast-check arbitraries for fuzzing the HTTP API from its own OpenAPI
 * description: values that mostly follow a JSON Schema (so requests get past
 * the first check and reach deeper ones), mixed with hostile ones — wrong
 * types, empty and huge strings, unicode and lone surrogates, boundary
 * numbers and lengths, JSON nested far too deep. URLs only ever name
 * 127.0.0.1, so a job the fuzz creates never calls out.
 */
import fc from 'fast-check';

/** The subset of JSON Schema the API's schemas use. */
export interface JsonSchema {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  patternProperties?: Record<string, JsonSchema>;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

/**
 * A stand-in for JSON nested `levels` deep: JSON.stringify cannot write such a
 * value, so {@link toJsonText} replaces the marker with the nested text.
 */
const deepMarker = (levels: number) => `\uE000deep:${levels}\uE000`;

/** JSON text of a fuzz value, with every deep marker replaced by JSON nested that deep. */
export function toJsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(
    /"\uE000deep:(\d+)\uE000"/g,
    (_, levels: string) => `${'['.repeat(Number(levels))}0${']'.repeat(Number(levels))}`,
  );
}

/** Strings that mean something somewhere in the API, so fuzzed values reach past the first check. */
const PLAUSIBLE = [
  '1s',
  '250ms',
  '5m',
  '1h',
  '7d',
  '0 3 * * *',
  '*/5 * * * * *',
  '@daily',
  'UTC',
  'Europe/Berlin',
  '2030-01-01T00:00:00Z',
  '2020-01-01T00:00:00Z',
  'handler',
  'http',
  '[redacted]',
];

/** Hostile strings: empty, control characters, encodings, unicode, lone surrogates, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\r\nX-Injected: 1',
      '%zz',
      '../..',
      '__proto__',
      'constructor',
      '\u202e\u0301𝄞',
      '\ud800',
    ),
  },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(70_000)) },
);

/** Hostile values of any JSON type; `deep` values nest past every limit. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, -0, 2 ** 53, 1e308, -1e308, 0.5, [], {}),
  fc.constantFrom(deepMarker(65), deepMarker(100_000)),
  nastyString,
  fc.double(),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

/** The schemes a URL pattern names (`^amqps?://` → amqp, amqps), and one it does not. */
function schemesOf(pattern: string): string[] {
  const named = ['http', 'https', 'amqp', 'amqps', 'nats', 'tls', 'smtp', 'smtps'].filter((s) =>
    new RegExp(pattern).test(`${s}://`),
  );
  return [...named, ...named, 'ftp'];
}

/** URLs for a URL pattern, all on 127.0.0.1 (port 9 answers nothing), now and then broken. */
function localUrl(pattern: string): fc.Arbitrary<string> {
  const valid = fc
    .tuple(fc.constantFrom(...schemesOf(pattern)), fc.constantFrom('', 'u:p@'))
    .map(
      ([scheme, user]) =>
        `${scheme}://${user}127.0.0.1:9${scheme.startsWith('http') ? '/hook' : ''}`,
    );
  const broken = fc
    .tuple(
      fc.constantFrom(...schemesOf(pattern)),
      fc.constantFrom('', 'u:p@', 'user:pa/ss@', ':@'),
      fc.constantFrom('127.0.0.1:99999', '[::1]:9', '', '127.0.0.1:9/a@b#f'),
    )
    .map(([scheme, user, host]) => `${scheme}://${user}${host}`);
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: broken });
}

/** A string for a string schema: its pattern, a plausible word, a boundary length, or anything. */
function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.pattern?.includes('://')) return localUrl(schema.pattern);
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 4, arbitrary: fc.constantFrom(...PLAUSIBLE) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  ];
  if (schema.pattern !== undefined) {
    const max = Math.min(schema.maxLength ?? 30, 30);
    const matching = fc.stringMatching(new RegExp(schema.pattern), { maxLength: max });
    options.push({ weight: 8, arbitrary: matching });
  }
  if (schema.format === 'date-time') {
    const dates = fc.date({
      min: new Date('2000-01-01'),
      max: new Date('2100-01-01'),
      noInvalidDate: true,
    });
    options.push({ weight: 8, arbitrary: dates.map((d) => d.toISOString()) });
  }
  if (schema.maxLength !== undefined) {
    const n = schema.maxLength;
    const edges = [Math.min(n, 70_000), Math.min(n + 1, 70_001)].map((k) => 'a'.repeat(k));
    options.push({ weight: 1, arbitrary: fc.constantFrom(...edges) });
  }
  return fc.oneof(...options);
}

/** A number for a numeric schema: within its bounds mostly, or just past them. */
function numberFor(schema: JsonSchema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -1_000_000;
  const max = schema.maximum ?? 1_000_000;
  return fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min, max }) },
    { weight: 1, arbitrary: fc.constantFrom(min, max, min - 1, max + 1) },
    { weight: schema.type === 'integer' ? 0 : 1, arbitrary: fc.double() },
  );
}

/**
 * A value that follows `schema` most of the time, and is hostile otherwise
 * (rarely below the top, so that whole documents are often valid).
 */
export function valueFor(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: depth === 0 ? 5 : 30, arbitrary: validFor(schema, depth) },
    { weight: 1, arbitrary: nastyValue },
  );
}

function validFor(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((member) => valueFor(member, depth)));
  if (depth > 4) return nastyValue;
  switch (schema.type) {
    case 'object':
      return objectFor(schema, depth);
    case 'array':
      return fc.array(valueFor(schema.items ?? {}, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      });
    case 'string':
      return stringFor(schema);
    case 'integer':
    case 'number':
      return numberFor(schema);
    case 'boolean':
      return fc.boolean();
    default:
      return fc.oneof(fc.jsonValue({ maxDepth: 3 }), nastyValue);
  }
}

function objectFor(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.properties) {
    const fields = Object.fromEntries(
      Object.entries(schema.properties).map(([key, s]) => [key, valueFor(s, depth + 1)]),
    );
    const object = fc.record(fields, { requiredKeys: schema.required ?? [] });
    // Now and then a field the schema does not know.
    return fc.oneof(
      { weight: 20, arbitrary: object },
      { weight: 1, arbitrary: object.map((o) => ({ ...(o as object), colour: 'red' })) },
    );
  }
  const [value = {}] = Object.values(schema.patternProperties ?? {});
  const key = fc.oneof(
    schema.propertyNames ? stringFor(schema.propertyNames) : fc.string({ maxLength: 12 }),
    nastyString,
  );
  return fc.dictionary(key, valueFor(value, depth + 1), { maxKeys: 4 });
}

/** A merge patch of an object schema: some of its fields, each a value, or null to remove it. */
export function patchFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  const fields = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([key, s]) => [
      key,
      fc.oneof(
        { weight: 4, arbitrary: valueFor(s, 1) },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
    ]),
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.record(fields, { requiredKeys: [] }) },
    { weight: 1, arbitrary: nastyValue },
  );
}
