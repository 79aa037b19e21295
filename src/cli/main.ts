#!/usr/bin/env node
/**
 * The `chime` command line. Each command is one module that registers itself
 * on the program; errors print their chime code and exit with status 2 for bad
 * input, 1 for anything else.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { isChimeError } from '../errors.js';
import { registerNext } from './next.js';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as {
  version: string;
};

const program = new Command('chime')
  .description('chime: a durable, distributed job scheduler')
  .version(version)
  .showHelpAfterError();
registerNext(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (isChimeError(err)) {
    console.error(`chime: ${err.message} [${err.code}]`);
    process.exit(err.status < 500 ? 2 : 1);
  }
  console.error(`chime: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
