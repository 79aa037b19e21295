import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ChimeError } from '../errors.js';
import { registerExecutions, registerJobs } from './api-commands.js';
import { exitCodeOf } from './client.js';
import { registerConfig } from './config-command.js';
import type { CliIo } from './io.js';
import { registerMigrate } from './migrate-command.js';
import { registerNext } from './next.js';
import { registerServe } from './serve-command.js';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** The `chime` program, its commands writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('chime')
    .description('chime: a durable, distributed job scheduler')
    .version(version)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError();
  registerServe(program, io);
  registerMigrate(program, io);
  registerConfig(program, io);
  registerNext(program, io);
  registerJobs(program, io);
  registerExecutions(program, io);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and the script) and returns the exit
 * code: 0 success, 2 bad input or usage, 3 not found, 4 conflict,
 * 5 unauthorized, 1 anything else. Errors print their chime code.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ChimeError) {
      io.stderr.write(`chime: ${err.message} [${err.code}]\n`);
      return exitCodeOf(err);
    }
    io.stderr.write(`chime: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
