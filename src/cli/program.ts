import { Command, CommanderError } from 'commander';
import { OPTIONS, type OptionSpec } from '../config/options.js';
import { ChimeError } from '../errors.js';
import { redactUrlsIn } from '../model/secrets.js';
import { registerExecutions, registerInstances, registerJobs } from './api-commands.js';
import { exitCodeOf } from './client.js';
import { EXIT_DRIFT, ExitCode } from './exit-code.js';
import { registerApply, registerClear } from './job-set-commands.js';
import { registerConfig } from './config-command.js';
import type { CliIo } from './io.js';
import { registerMigrate } from './migrate-command.js';
import { registerNext } from './next.js';
import { registerServe } from './serve-command.js';
import { VERSION } from '../version.js';

/** The `chime` program, its commands writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('chime')
    .description('chime: a durable, distributed job scheduler')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError()
    .addHelpText('after', helpEpilogue);
  registerServe(program, io);
  registerMigrate(program, io);
  registerConfig(program, io);
  registerNext(program, io);
  registerClear(registerJobs(program, io), io);
  registerApply(program, io);
  registerExecutions(program, io);
  registerInstances(program, io);
  return program;
}

/**
 * What `chime --help` adds after the commands: every option of `chime serve`
 * with its environment variable and default, how the CLI finds the service,
 * and the exit codes scripts can rely on.
 */
function helpEpilogue(): string {
  const specs = OPTIONS as readonly OptionSpec[];
  const flags = specs.map((spec) => `--${spec.name}`);
  const width = Math.max(...flags.map((flag) => flag.length));
  const envWidth = Math.max(...specs.map((spec) => spec.env.length));
  const lines = specs.map((spec, i) => {
    const fallback = spec.default === undefined ? '' : `  (default ${spec.default})`;
    return `  ${(flags[i] ?? '').padEnd(width)}  ${spec.env.padEnd(envWidth)}${fallback}`.trimEnd();
  });
  return [
    '',
    'Options of serve and config (flag, environment variable; a flag wins over the',
    'variable, the variable over the default; `chime serve --help` says what each does):',
    ...lines,
    '',
    'jobs and executions talk to a running service: --url (CHIME_URL, default',
    'http://127.0.0.1:8000) and --token (CHIME_TOKEN).',
    '',
    'Exit codes: 0 success, 2 bad input or usage, 3 not found, 4 conflict,',
    `5 unauthorized, ${EXIT_DRIFT} drift found (apply --exit-code), 1 anything else (such as an`,
    'unreachable service).',
    '',
  ].join('\n');
}

/**
 * Runs the CLI on `argv` (without node and the script) and returns the exit
 * code: 0 success, 2 bad input or usage, 3 not found, 4 conflict,
 * 5 unauthorized, 6 drift found (`apply --exit-code`), 1 anything else. Errors print their chime code.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ExitCode) return err.exitCode;
    // A message may quote input (a file, a flag): a password in a URL is never printed.
    if (err instanceof ChimeError) {
      io.stderr.write(`chime: ${redactUrlsIn(err.message)} [${err.code}]\n`);
      return exitCodeOf(err);
    }
    io.stderr.write(`chime: ${redactUrlsIn(err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  }
}
