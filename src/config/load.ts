import { readFileSync } from 'node:fs';
import { ChimeError } from '../errors.js';
import { parseDuration } from '../model/duration.js';
import {
  MIN_TOKEN_LENGTH,
  OPTIONS,
  type OptionKind,
  type OptionName,
  type OptionSpec,
} from './options.js';

/** The TypeScript type of each kind of option value. */
interface KindValue {
  string: string;
  integer: number;
  duration: number;
  boolean: boolean;
  list: string[];
  bytes: number;
}

type SpecOf<N extends OptionName> = Extract<(typeof OPTIONS)[number], { name: N }>;

/** The value type of one option (durations in ms, sizes in bytes); undefined when it has no default. */
export type OptionValue<N extends OptionName> =
  KindValue[SpecOf<N>['kind']] | (SpecOf<N> extends { default: string } ? never : undefined);

/** Where an option's value came from. */
export type OptionSource = 'flag' | 'env' | 'default' | 'unset';

/** One resolved option. */
export interface ResolvedOption {
  spec: OptionSpec;
  value: unknown;
  /** The text it was parsed from (shown by `chime config`, redacted if secret). */
  raw: string | undefined;
  source: OptionSource;
}

/** The service's configuration: every option resolved, validated, with its source. */
export class ServiceConfig {
  private readonly options: Map<string, ResolvedOption>;

  constructor(resolved: ResolvedOption[]) {
    this.options = new Map(resolved.map((r) => [r.spec.name, r]));
  }

  /** An option's value (undefined when unset and without default). */
  get<N extends OptionName>(name: N): OptionValue<N> {
    return this.options.get(name)?.value as OptionValue<N>;
  }

  /** Every option in declaration order. */
  entries(): ResolvedOption[] {
    return [...this.options.values()];
  }
}

/** What the loader reads: parsed flags by option name, and the environment. */
export interface ConfigSources {
  flags: Readonly<Record<string, string | boolean | undefined>>;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Resolves every option — flag over environment variable over default — and
 * validates each, then the combination (a token for a public bind, one source
 * per token, a read-only token only beside a token).
 * @throws ChimeError `CHIME_ERR_CONFIG_INVALID` naming the option, its flag and its variable.
 */
export function loadConfig(sources: ConfigSources): ServiceConfig {
  const resolved = OPTIONS.map((spec) => resolveOne(spec, sources));
  const config = new ServiceConfig(resolved);
  return checkCombination(config, resolved);
}

function resolveOne(spec: OptionSpec, { flags, env }: ConfigSources): ResolvedOption {
  const flag = flags[spec.name];
  const fromEnv = env[spec.env];
  const [raw, source]: [string | undefined, OptionSource] =
    flag !== undefined
      ? [String(flag), 'flag']
      : fromEnv !== undefined && fromEnv !== ''
        ? [fromEnv, 'env']
        : spec.default !== undefined
          ? [spec.default, 'default']
          : [undefined, 'unset'];
  const value = raw === undefined ? undefined : parseValue(spec, raw, source);
  return { spec, value, raw, source };
}

function parseValue(spec: OptionSpec, raw: string, source: OptionSource): unknown {
  const parsers: Record<OptionKind, (text: string) => unknown> = {
    string: (text) => text,
    integer: (text) => (/^\d+$/.test(text) ? Number(text) : undefined),
    duration: (text) => {
      try {
        return parseDuration(/^\d+$/.test(text) ? Number(text) : text, '');
      } catch {
        return undefined;
      }
    },
    boolean: (text) =>
      ({ true: true, '1': true, yes: true, false: false, '0': false, no: false })[
        text.toLowerCase()
      ],
    list: (text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    bytes: parseBytes,
  };
  const value = parsers[spec.kind](raw);
  if (value === undefined) {
    const shown = spec.secret ? '(redacted)' : JSON.stringify(raw);
    throw invalid(
      spec,
      `${shown} from the ${source === 'flag' ? 'flag' : 'environment'} is not ${describeKind(spec.kind)}`,
    );
  }
  return value;
}

function checkCombination(config: ServiceConfig, resolved: ResolvedOption[]): ServiceConfig {
  const spec = (name: OptionName) => resolved.find((r) => r.spec.name === name)?.spec as OptionSpec;
  readTokenFile(config, resolved, 'token', 'token-file');
  readTokenFile(config, resolved, 'read-token', 'read-token-file');
  const token = config.get('token');
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) throw tooShort(spec('token'));
  const readToken = config.get('read-token');
  if (readToken !== undefined) {
    if (token === undefined)
      throw invalid(
        spec('read-token'),
        'a read-only token needs --token (CHIME_TOKEN) as well: without one, anyone could write',
      );
    if (readToken.length < MIN_TOKEN_LENGTH) throw tooShort(spec('read-token'));
    if (readToken === token)
      throw invalid(spec('read-token'), 'the read-only token must differ from --token');
  }
  if (!isLoopback(config.get('host')) && token === undefined) {
    throw invalid(
      spec('host'),
      `refusing to listen on ${config.get('host')} without a token: anyone who can reach it could run jobs. ` +
        'Set --token or --token-file (CHIME_TOKEN, CHIME_TOKEN_FILE), or bind to 127.0.0.1',
    );
  }
  if (config.get('postgres-pool-size') < 1)
    throw invalid(spec('postgres-pool-size'), 'a pool needs at least 1 connection');
  const port = config.get('port');
  if (port > 65_535) throw invalid(spec('port'), `${port} is not a port (0-65535)`);
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(config.get('log-level')))
    throw invalid(spec('log-level'), `use one of ${levels.join(', ')}`);
  return config;
}

function tooShort(spec: OptionSpec): ChimeError {
  return invalid(spec, `a token must be at least ${MIN_TOKEN_LENGTH} characters long`);
}

/**
 * Reads a token from its file option into the token option (with the file
 * option's source): one of the two may be given, and the file may not be empty.
 */
function readTokenFile(
  config: ServiceConfig,
  resolved: ResolvedOption[],
  name: 'token' | 'read-token',
  fileName: 'token-file' | 'read-token-file',
): void {
  const file = config.get(fileName);
  if (file === undefined) return;
  const fileEntry = resolved.find((r) => r.spec.name === fileName) as ResolvedOption;
  if (config.get(name) !== undefined)
    throw invalid(fileEntry.spec, `give either --${name} or --${fileName}, not both`);
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw invalid(fileEntry.spec, `cannot read ${file}: ${(err as Error).message}`);
  }
  if (token === '') throw invalid(fileEntry.spec, `${file} is empty`);
  const entry = resolved.find((r) => r.spec.name === name) as ResolvedOption;
  // The token comes from wherever its file option came from (flag or environment).
  Object.assign(entry, { value: token, raw: token, source: fileEntry.source });
}

/** True for addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Parses sizes such as `1048576`, `512kb`, `1mb` (powers of 1024). */
function parseBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[
    (match[2] ?? 'b').toLowerCase() as 'b'
  ];
  return Math.round(Number(match[1]) * unit);
}

function describeKind(kind: OptionKind): string {
  return {
    string: 'text',
    integer: 'a whole number',
    duration: 'a duration such as 500ms, 5s, 2m',
    boolean: 'true or false',
    list: 'a comma-separated list',
    bytes: 'a size such as 512kb or 1mb',
  }[kind];
}

/**
 * The error of an option found invalid after loading (by the scheduler, say):
 * `CHIME_ERR_CONFIG_INVALID` naming its flag and its variable.
 */
export function configError(name: OptionName, why: string, cause?: unknown): ChimeError {
  const spec = (OPTIONS as readonly OptionSpec[]).find((o) => o.name === name) as OptionSpec;
  return invalid(spec, why, cause);
}

function invalid(spec: OptionSpec, why: string, cause?: unknown): ChimeError {
  return new ChimeError('CHIME_ERR_CONFIG_INVALID', `option --${spec.name} (${spec.env}): ${why}`, {
    path: `/${spec.name}`,
    ...(cause === undefined ? {} : { cause }),
  });
}
