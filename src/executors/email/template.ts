/**
 * The placeholder syntax of email targets: `from`, `to`, `cc`, `bcc`,
 * `replyTo`, `subject`, `text`, `html` and the values of `headers` may name
 * fields of the fire, which are substituted when the message is sent.
 *
 * - `{{ path }}` — a field of the payload, by a dot path: `{{ user.name }}`,
 *   `{{ items.0.title }}` (array indexes are numbers; `{{ items.length }}` is
 *   an array's length). Spaces inside the braces are optional. A segment is a
 *   number or a name of letters, digits, `_`, `$` and `-` that does not start
 *   with a digit or `-`.
 * - Four exact paths name the fire instead of the payload: `{{ job.id }}`,
 *   `{{ execution.id }}` (the idempotency key), `{{ fireAt }}` (ISO 8601, UTC)
 *   and `{{ attempt }}` (1, 2, …). They shadow payload fields of the same
 *   path; any other path reads the payload (`{{ job.name }}` is the payload's
 *   `job.name`). An onFailure target's payload is the failure, so there
 *   `{{ error.message }}`, `{{ jobId }}` and `{{ payload.field }}` (the
 *   original payload's) apply.
 * - A missing field (or `null`) reads as the empty string; strings are
 *   inserted as they are, numbers and booleans as text, an array of strings and
 *   numbers as its items joined by `", "` (an address list), any other object
 *   as JSON. Only the payload's own fields are read.
 * - In `html`, every inserted value is HTML-escaped (`& < > " '`). In header
 *   fields (`subject`, the addresses, `headers`), line breaks become spaces, so
 *   a payload cannot add a header. `text` takes values as they are.
 * - `\{{` writes a literal `{{`. Any other `{{` that does not open a well-formed
 *   placeholder is an error, reported when the job is defined.
 */
import { ChimeError } from '../../errors.js';

/** What placeholders can name: the payload and the fire. */
export interface TemplateScope {
  /** The attempt's payload. */
  payload: unknown;
  /** The job's id: `{{ job.id }}`. */
  jobId: string;
  /** The execution's id: `{{ execution.id }}`. */
  executionId: string;
  /** The fire's instant: `{{ fireAt }}`, as ISO 8601 in UTC. */
  fireAt: Date;
  /** The attempt number: `{{ attempt }}`. */
  attempt: number;
}

/** How inserted values are written. */
export interface RenderOptions {
  /** HTML-escape every inserted value (the `html` body). */
  html?: boolean;
  /** Replace line breaks with spaces in the result (subject, addresses, headers). */
  header?: boolean;
}

/** A parsed template: literal text and placeholder paths, alternating. */
export type TemplatePart = { text: string } | { path: string[] };

const OPEN = /\\\{\{|\{\{/g;
const PLACEHOLDER = /^\{\{\s*([^{}\s]+)\s*\}\}/;
const SEGMENT = /^(?:\d+|[A-Za-z_$][A-Za-z0-9_$-]*)$/;
const MAX_PATH = 200;

/**
 * Parses `template` into parts.
 * @throws ChimeError `CHIME_ERR_INVALID_INPUT` at `path` for a malformed placeholder.
 */
export function parseTemplate(template: string, path = ''): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(OPEN)) {
    const at = match.index;
    if (at < last) continue;
    if (match[0] === '\\{{') {
      parts.push({ text: template.slice(last, at) + '{{' });
      last = at + 3;
      continue;
    }
    const placeholder = PLACEHOLDER.exec(template.slice(at));
    const segments = placeholder?.[1]?.split('.');
    if (!placeholder || !segments || !validPath(segments)) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `malformed placeholder at character ${at + 1}: write {{ field.path }} (or \\{{ for a literal "{{")`,
        { path },
      );
    }
    parts.push({ text: template.slice(last, at) }, { path: segments });
    last = at + placeholder[0].length;
  }
  parts.push({ text: template.slice(last) });
  return parts;
}

/**
 * Substitutes the placeholders of `template` from `scope` (see the module
 * comment for the syntax and how values are written).
 * @throws ChimeError `CHIME_ERR_INVALID_INPUT` for a malformed placeholder.
 */
export function render(
  template: string,
  scope: TemplateScope,
  options: RenderOptions = {},
): string {
  let out = '';
  for (const part of parseTemplate(template)) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const value = format(lookup(part.path, scope));
    out += options.html ? escapeHtml(value) : value;
  }
  return options.header ? out.replace(/[\r\n]+/g, ' ') : out;
}

function validPath(segments: string[]): boolean {
  return segments.join('.').length <= MAX_PATH && segments.every((s) => SEGMENT.test(s));
}

/** The value a path names: one of the fire's four, else a field of the payload. */
function lookup(path: string[], scope: TemplateScope): unknown {
  switch (path.join('.')) {
    case 'job.id':
      return scope.jobId;
    case 'execution.id':
      return scope.executionId;
    case 'fireAt':
      return scope.fireAt.toISOString();
    case 'attempt':
      return scope.attempt;
    default:
      return walk(scope.payload, path);
  }
}

function walk(value: unknown, path: string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function format(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return value.join(', ');
  }
  return JSON.stringify(value) ?? '';
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
