import { describe, expect, it } from 'vitest';
import { runExample } from '../test/helpers/example.js';

describe('examples/signed-webhooks.ts (the README’s receiver)', () => {
  it('refuses the forged request, verifies each signed call of the job, then stops', async () => {
    const { code, out } = await runExample('signed-webhooks', ['2']);
    expect(code, out).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^receiver on http:\/\/127\.0\.0\.1:\d+\/hooks\/chime$/);
    expect(lines[1]).toBe('refused: No matching signature found');
    expect(lines.slice(2, 4)).toEqual([
      expect.stringMatching(/^verified \S+: \{"ping":true\}$/),
      expect.stringMatching(/^verified \S+: \{"ping":true\}$/),
    ]);
    expect(lines.slice(4)).toEqual(['stopped']);
  }, 30_000);
});
