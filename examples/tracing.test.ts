import { describe, expect, it } from 'vitest';
import { runExample } from '../test/helpers/example.js';

describe('examples/tracing.ts (the README’s OpenTelemetry example)', () => {
  it('each call carries the traceparent of its attempt’s span, which the SDK then exports', async () => {
    const { code, out } = await runExample('tracing', ['2']);
    expect(code, out).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^receiver on http:\/\/127\.0\.0\.1:\d+\/hooks\/traced$/);
    expect(lines).toHaveLength(6);
    for (const at of [1, 3]) {
      const sent = /^received traceparent (00-[0-9a-f]{32}-[0-9a-f]{16}-01)$/.exec(lines[at] ?? '');
      expect(sent, out).not.toBeNull();
      expect(lines[at + 1]).toBe(
        `span "chime attempt" ${sent?.[1]}: job traced-ping, attempt 1, succeeded`,
      );
    }
    expect(lines[5]).toBe('stopped');
  }, 30_000);
});
