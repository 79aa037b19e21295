/**
 * How a job's definition is stored compactly in Postgres `jobs` (migration 9,
 * issue 16): without the defaults every stored definition carries — a
 * `target` of `{"type":"handler"}` and an empty `metadata`. The migration
 * applies the same rules in SQL to the rows it rewrites.
 *
 * A one-shot's instant (`schedule.at`) is stored in epoch ms when it is
 * canonical ISO text (migration 14): 13 B of JSON where the text takes 26.
 *
 * A job's last outcome is a JSON array (migration 11): `[status,
 * executionId, at]`, `at` in epoch ms when it is an instant's canonical ISO
 * text (what the engine writes), and the error fourth when there is one —
 * ~80 B of JSONB instead of ~120 for the object with its keys, in every
 * version of the row a finish writes.
 */
import { formatInstant } from '../../model/instant.js';
import type { LastOutcome } from '../../model/job.js';
import type { StoredDefinition } from '../store.js';

/** A last outcome as stored: `[status, executionId, at (ms or ISO text), error?]`. */
type StoredOutcome = [LastOutcome['status'], string, number | string, string?];

/**
 * The JSON text stored for a definition: the default target and the empty
 * metadata left out, a one-shot's instant in epoch ms when it is canonical.
 */
export function definitionText(definition: StoredDefinition): string {
  const { target, metadata, ...rest } = definition;
  const stored: Record<string, unknown> = rest;
  const ms = epochMsOf(rest.schedule.kind === 'once' ? rest.schedule.at : undefined);
  if (ms !== undefined) stored['schedule'] = { ...rest.schedule, at: ms };
  if (!isDefaultTarget(target)) stored['target'] = target;
  if (Object.keys(metadata).length > 0) stored['metadata'] = metadata;
  return JSON.stringify(stored);
}

/**
 * A definition parsed from its stored text, the defaults and a one-shot's ISO
 * instant put back (in place; `formatInstant` remembers the last instants: a
 * burst's one-shots share theirs).
 */
export function withDefaults(parsed: StoredDefinition): StoredDefinition {
  const stored: Partial<StoredDefinition> = parsed;
  stored.target ??= { type: 'handler' };
  stored.metadata ??= {};
  const schedule = stored.schedule as { kind?: string; at?: unknown } | undefined;
  if (schedule?.kind === 'once' && typeof schedule.at === 'number')
    schedule.at = formatInstant(schedule.at);
  return parsed;
}

const CANONICAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z$/;

/**
 * The epoch ms of an instant's canonical ISO text (what `Date#toISOString`
 * gives), else undefined. `Date.parse` carries a field out of its range into
 * the next one (the 30th of February is the 2nd of March): such a text reads
 * back as another, so it is not canonical. (Cheaper than `toISOString`: a
 * bulk submit encodes every one-shot.)
 */
function epochMsOf(at: unknown): number | undefined {
  const f = typeof at === 'string' ? CANONICAL.exec(at) : null;
  if (!f) return undefined;
  const ms = Date.parse(f[0]);
  const d = new Date(ms);
  const same =
    d.getUTCFullYear() === Number(f[1]) &&
    d.getUTCMonth() + 1 === Number(f[2]) &&
    d.getUTCDate() === Number(f[3]) &&
    d.getUTCHours() === Number(f[4]) &&
    d.getUTCMinutes() === Number(f[5]) &&
    d.getUTCSeconds() === Number(f[6]);
  return same ? ms : undefined;
}

function isDefaultTarget(target: StoredDefinition['target']): boolean {
  const keys = Object.keys(target);
  return keys.length === 1 && keys[0] === 'type' && target.type === 'handler';
}

/** The JSON text stored for a last outcome, or NULL for none. */
export function lastOutcomeText(outcome: LastOutcome | null | undefined): string | null {
  if (!outcome) return null;
  const stored: StoredOutcome = [
    outcome.status,
    outcome.executionId,
    epochMsOf(outcome.at) ?? outcome.at,
  ];
  if (outcome.error !== undefined) stored.push(outcome.error);
  return JSON.stringify(stored);
}

/**
 * A last outcome read from its stored array (parsed); an object, as an
 * instance from before migration 11 still running after it would write, is
 * read as it is.
 */
export function lastOutcomeFromStored(stored: StoredOutcome | LastOutcome): LastOutcome {
  if (!Array.isArray(stored)) return stored;
  const [status, executionId, at, error] = stored;
  const outcome: LastOutcome = {
    status,
    executionId,
    at: typeof at === 'number' ? new Date(at).toISOString() : at,
  };
  if (error !== undefined) outcome.error = error;
  return outcome;
}
