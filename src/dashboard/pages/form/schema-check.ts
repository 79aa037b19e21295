/**
 * The raw editor's check: a job definition against the job JSON Schema the
 * service serves, with TypeBox's JSON Schema interpreter (no code generation,
 * so the page's Content-Security-Policy needs no 'unsafe-eval').
 */
import { Errors } from 'typebox/schema';
import type { JsonSchema } from '../../api/types';

/** One problem: where (a JSON Pointer) and what. */
export interface SchemaProblem {
  path: string;
  message: string;
}

/** Unknown and missing fields first, then the deepest; union noise left out; at most `max`. */
export function checkAgainst(schema: JsonSchema, value: unknown, max = 5): SchemaProblem[] {
  const [, errors] = Errors(schema as Parameters<typeof Errors>[0], value);
  const useful = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'boolean');
  const rank = (e: { keyword: string; instancePath: string }) =>
    (e.keyword === 'additionalProperties' ? 2000 : e.keyword === 'required' ? 1000 : 0) +
    e.instancePath.split('/').length;
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const e of (useful.length > 0 ? useful : errors).sort((a, b) => rank(b) - rank(a))) {
    const problem = { path: e.instancePath, message: e.message };
    const key = `${problem.path} ${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
    if (problems.length === max) break;
  }
  return problems;
}
