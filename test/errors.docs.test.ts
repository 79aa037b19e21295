import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../src/errors.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^\|\s*`(CHIME_ERR_[A-Z_]+)`\s*\|\s*(\d+)\s*\|/gm)].map(
    (m) => [m[1], Number(m[2])],
  );

  it('documents every registered code with its HTTP status', () => {
    expect(documented).toEqual(Object.entries(ERRORS).map(([code, spec]) => [code, spec.status]));
  });

  it('lists no code that is not registered', () => {
    for (const [code] of documented) expect(Object.keys(ERRORS)).toContain(code);
  });
});
