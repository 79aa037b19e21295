import type { Command } from 'commander';
import { OPTIONS, type OptionSpec } from '../config/options.js';

/** Adds every service option as a flag (`--database-url <url>`, `--allow-shell [bool]`). */
export function addServiceOptions(command: Command): Command {
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const flag =
      spec.kind === 'boolean'
        ? `--${spec.name} [bool]`
        : `--${spec.name} <${spec.placeholder ?? 'value'}>`;
    const suffix =
      spec.default === undefined ? ` (${spec.env})` : ` (${spec.env}, default ${spec.default})`;
    command.option(flag, spec.doc + suffix);
  }
  return command;
}

/** The flags commander parsed, by option name (`databaseUrl` → `database-url`); a bare boolean flag is true. */
export function flagsOf(
  parsed: Record<string, unknown>,
): Record<string, string | boolean | undefined> {
  const flags: Record<string, string | boolean | undefined> = {};
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const value = parsed[spec.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (value !== undefined) flags[spec.name] = value as string | boolean;
  }
  return flags;
}
