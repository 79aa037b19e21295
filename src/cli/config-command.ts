import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { redactUrl, REDACTED } from '../model/secrets.js';
import type { CliIo } from './io.js';
import { addServiceOptions, flagsOf } from './server-options.js';
import { table } from './table.js';

/** `chime config`: every option, its environment variable, its value and where it came from, secrets redacted. */
export function registerConfig(program: Command, io: CliIo): void {
  addServiceOptions(
    program
      .command('config')
      .description(
        'print every option of `chime serve`: flag, environment variable, value, source',
      ),
  )
    .option('--json', 'print JSON')
    .action((options: Record<string, unknown>) => {
      const config = loadConfig({ flags: flagsOf(options), env: io.env });
      const rows = config.entries().map(({ spec, raw, source }) => {
        const shown =
          raw === undefined
            ? ''
            : spec.secret === 'value'
              ? REDACTED
              : spec.secret === 'url'
                ? redactUrl(raw)
                : raw;
        return { option: `--${spec.name}`, env: spec.env, value: shown, source };
      });
      if (options['json']) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else
        io.stdout.write(
          table(
            ['OPTION', 'ENV', 'VALUE', 'SOURCE'],
            rows.map((r) => [r.option, r.env, r.value, r.source]),
          ),
        );
    });
}
