import type { Command } from 'commander';
import { cron } from '../model/schedule.js';
import { nextFireTimes } from '../schedules/preview.js';
import type { CliIo } from './io.js';

/** Registers `chime next "<cron>" --tz --count --from [--json]`: previews fire times locally. */
export function registerNext(program: Command, io: CliIo): void {
  program
    .command('next')
    .description(
      'preview the next fire times of a cron expression, in UTC and local time, DST moves marked',
    )
    .argument('<expr>', 'cron expression: 5 or 6 fields, or a macro such as @daily')
    .option('--tz <zone>', 'IANA time zone', 'UTC')
    .option('--count <n>', 'how many fires (1-1000)', '10')
    .option('--from <instant>', 'fires after this ISO 8601 instant (default: now)')
    .option('--json', 'print JSON')
    .action(
      (expr: string, options: { tz: string; count: string; from?: string; json?: boolean }) => {
        const fires = nextFireTimes(cron(expr, { tz: options.tz }), {
          count: Number(options.count),
          ...(options.from === undefined ? {} : { from: options.from }),
        });
        if (options.json) {
          io.stdout.write(`${JSON.stringify(fires, null, 2)}\n`);
          return;
        }
        for (const fire of fires) {
          const note = fire.dstShifted ? `  DST: ${fire.note ?? 'moved'}` : '';
          io.stdout.write(`${fire.utc}  ${fire.local}${note}\n`);
        }
      },
    );
}
