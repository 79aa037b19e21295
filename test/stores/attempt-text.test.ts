import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/model/execution.js';
import { attemptText, attemptsFromText, attemptsText } from '../../src/stores/attempt-text.js';

const succeeded: Attempt = {
  attempt: 1,
  owner: 'vm:13590:fcd8d4',
  startedAt: '2026-12-06T19:31:55.217Z',
  finishedAt: '2026-12-06T19:31:55.521Z',
  outcome: 'succeeded',
};
const failed: Attempt = {
  attempt: 2,
  owner: 'vm:13590:fcd8d4',
  startedAt: '2026-12-06T19:32:00.000Z',
  finishedAt: '2026-12-06T19:32:01.250Z',
  outcome: 'failed',
  error: { message: 'boom', name: 'Error', code: 'CHIME_ERR_TARGET' },
};

describe('the stored form of attempts (SQL stores)', () => {
  it('stores an attempt as a compact array with epoch-ms instants', () => {
    expect(attemptText(succeeded)).toBe(
      '[1,"vm:13590:fcd8d4",1796585515217,1796585515521,"succeeded"]',
    );
    expect(attemptText(succeeded)?.length).toBeLessThan(JSON.stringify(succeeded).length / 2);
    expect(attemptText(undefined)).toBeNull();
  });

  it('reads back what it stores, errors included', () => {
    expect(attemptsFromText(attemptsText([succeeded, failed]))).toEqual([succeeded, failed]);
    expect(attemptsFromText(attemptsText([]))).toEqual([]);
  });

  it('reads rows written before the compact form (objects with ISO strings)', () => {
    const old = JSON.stringify([failed, succeeded]);
    expect(attemptsFromText(old)).toEqual([failed, succeeded]);
    const mixed = `[${JSON.stringify(failed)},${attemptText(succeeded) ?? ''}]`;
    expect(attemptsFromText(mixed)).toEqual([failed, succeeded]);
  });
});
