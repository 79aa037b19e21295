/**
 * A selector: the jobs whose metadata holds every one of some `key=value`
 * pairs — what `apply` may prune and what `clear` removes. The library takes
 * it as an object (`{ 'managed-by': 'deploy-x' }`), the HTTP API and the CLI
 * as text (`managed-by=deploy-x,team=core`). It is never empty: a selector
 * that matched every job would make a typo remove them all.
 */
import { ChimeError } from '../errors.js';
import { schemaCheck } from './check.js';
import { MetadataSchema } from './job.js';

/** Metadata pairs, all of which a selected job has. */
export type Selector = Record<string, string>;

const SELECTOR_CHECK = schemaCheck(MetadataSchema);

/** The selector, checked; throws a ChimeError at `path` unless it has valid pairs, at least one. */
export function checkSelector(value: unknown, path: string): Selector {
  SELECTOR_CHECK.assert(value, path);
  if (Object.keys(value as Selector).length === 0) {
    throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'a selector needs at least one key=value', {
      path,
    });
  }
  return value as Selector;
}

/** Reads `key=value[,key=value…]` into a selector (a value may hold `=`, not `,`). */
export function parseSelector(text: string, path: string): Selector {
  const selector: Selector = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `a selector is key=value[,key=value…], got "${pair.trim()}"`,
        { path },
      );
    }
    selector[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return checkSelector(selector, path);
}

/** The selector as `parseSelector` reads it. */
export function formatSelector(selector: Selector): string {
  return Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
