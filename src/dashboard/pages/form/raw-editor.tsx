import { useEffect, useState } from 'preact/hooks';
import type { JsonSchema } from '../../api/types';
import { checkAgainst, type SchemaProblem } from './schema-check';

/** The job definition as raw JSON, checked against the service's job JSON Schema as it is typed. */
export function RawEditor(props: {
  text: string;
  onText: (text: string) => void;
  schema: JsonSchema;
  apiProblem: SchemaProblem | null;
}) {
  const [problems, setProblems] = useState<SchemaProblem[]>([]);
  useEffect(() => {
    const timer = window.setTimeout(() => setProblems(check(props.schema, props.text)), 200);
    return () => window.clearTimeout(timer);
  }, [props.text, props.schema]);
  const shown = props.apiProblem ? [props.apiProblem, ...problems] : problems;
  return (
    <div class={`field${shown.length > 0 ? ' invalid' : ''}`}>
      <label for="raw-json">Job definition (JSON)</label>
      <textarea
        id="raw-json"
        class="code"
        rows={24}
        spellcheck={false}
        aria-describedby="raw-json-help raw-json-errors"
        aria-invalid={shown.length > 0}
        value={props.text}
        onInput={(e) => props.onText(e.currentTarget.value)}
      />
      <p class="help" id="raw-json-help">
        Checked as you type against the job schema this service serves (
        <code>GET /v1/schema/job</code>).
      </p>
      <ul class="field-error" id="raw-json-errors" aria-live="polite">
        {shown.map((p, i) => (
          <li key={i}>
            {p.path === '' ? 'the definition' : <code>{p.path}</code>}: {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function check(schema: JsonSchema, text: string): SchemaProblem[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [{ path: '', message: `not JSON: ${(error as Error).message}` }];
  }
  return checkAgainst(schema, value);
}
