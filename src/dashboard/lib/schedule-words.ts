/**
 * A schedule in words, as the jobs table and a job's page show it:
 * "At 03:00 (Europe/Berlin)", "every 5m", "once at 2026-12-01 10:00:00 UTC".
 */
import cronstrue from 'cronstrue';
import type { Schedule } from '../api/types';
import { utcTime } from './format';

/** The schedule's rhythm in words (without its zone). */
export function scheduleWords(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'cron':
      return cronWords(schedule.expr);
    case 'interval':
      return `Every ${typeof schedule.every === 'number' ? `${schedule.every} ms` : schedule.every}`;
    case 'once':
      return `Once, at ${utcTime(schedule.at)}`;
    case 'custom':
      return `Custom: ${schedule.name}`;
  }
}

/** The zone a schedule's times are read in. */
export function scheduleZone(schedule: Schedule): string {
  return schedule.kind === 'cron' ? (schedule.tz ?? 'UTC') : 'UTC';
}

/** The schedule's definition as written: "0 3 * * *", "5m", the instant. */
export function scheduleText(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'cron':
      return schedule.expr;
    case 'interval':
      return String(schedule.every);
    case 'once':
      return schedule.at;
    case 'custom':
      return schedule.params === undefined ? schedule.name : JSON.stringify(schedule.params);
  }
}

function cronWords(expr: string): string {
  try {
    return cronstrue.toString(expr, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return expr;
  }
}
