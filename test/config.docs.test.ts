import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIN_TOKEN_LENGTH, OPTIONS } from '../src/config/options.js';

describe('docs/configuration.md', () => {
  const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^\|\s*`--([a-z-]+)`\s*\|\s*`(CHIME_[A-Z_]+)`\s*\|/gm)].map(
    (m) => [m[1], m[2]],
  );

  it('documents every option of chime serve with its environment variable, and no other', () => {
    expect(documented).toEqual(OPTIONS.map((o) => [o.name, o.env]));
  });
});

describe('README.md', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8').replace(
    /\s+/g,
    ' ',
  );

  it('says how long a token of chime serve must be', () => {
    expect(readme).toContain(`at least ${MIN_TOKEN_LENGTH} characters`);
  });
});
