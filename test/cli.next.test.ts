import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const chime = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });

describe('chime next', () => {
  it('prints fires in UTC and local time and marks the ones DST moved', () => {
    const run = chime(
      'next',
      '30 2 * * *',
      '--tz',
      'Europe/Berlin',
      '--count',
      '2',
      '--from',
      '2026-03-28T12:00:00Z',
    );
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      '2026-03-29T01:00:00.000Z  2026-03-29T03:00:00+02:00  DST: 02:30 does not exist on 2026-03-29 (DST gap); fired at 03:00',
      '2026-03-30T00:30:00.000Z  2026-03-30T02:30:00+02:00',
    ]);
  });

  it('prints JSON with --json', () => {
    const run = chime(
      'next',
      '@hourly',
      '--count',
      '1',
      '--from',
      '2026-01-01T00:10:00Z',
      '--json',
    );
    expect(JSON.parse(run.stdout)).toEqual([
      expect.objectContaining({ utc: '2026-01-01T01:00:00.000Z', tz: 'UTC' }),
    ]);
  });

  it('exits with status 2 and the error code on a bad expression or zone', () => {
    const bad = chime('next', '61 * * * *');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/CHIME_ERR_SCHEDULE_CRON_INVALID/);
    const zone = chime('next', '0 3 * * *', '--tz', 'Mars/Olympus');
    expect(zone.status).toBe(2);
    expect(zone.stderr).toMatch(/CHIME_ERR_SCHEDULE_TZ_INVALID/);
  });

  it('prints its version', () => {
    expect(chime('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
