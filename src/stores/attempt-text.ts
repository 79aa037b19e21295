/**
 * The compact stored form of an execution's attempts, shared by the SQL
 * stores: each attempt a JSON array `[attempt, owner, startedAt, finishedAt,
 * outcome, error?]` with epoch-ms instants, instead of an object with ISO
 * strings. A quick fire's one attempt takes ~70 bytes instead of ~180, and
 * the finish that appends it writes that much less (issue 16: WAL per fire).
 * Rows written before this form hold objects; they are read as they are.
 */
import { formatInstant, instantMs } from '../model/instant.js';
import type { Attempt, AttemptOutcome, ErrorInfo } from '../model/execution.js';

/** An attempt as stored. */
type StoredAttempt =
  | [number, string, number, number, AttemptOutcome]
  | [number, string, number, number, AttemptOutcome, ErrorInfo];

/** The stored JSON text of one attempt, or NULL when there is none. */
export function attemptText(attempt: Attempt): string;
export function attemptText(attempt: Attempt | undefined): string | null;
export function attemptText(attempt: Attempt | undefined): string | null {
  return attempt === undefined ? null : JSON.stringify(stored(attempt));
}

/** The stored JSON text of a list of attempts. */
export function attemptsText(attempts: readonly Attempt[]): string {
  return JSON.stringify(attempts.map(stored));
}

/** The attempts of a stored JSON text (either form). */
export function attemptsFromText(text: string): Attempt[] {
  return (JSON.parse(text) as (StoredAttempt | Attempt)[]).map(fromStored);
}

function stored(a: Attempt): StoredAttempt {
  const head = [a.attempt, a.owner, instantMs(a.startedAt), instantMs(a.finishedAt), a.outcome];
  return (a.error === undefined ? head : [...head, a.error]) as StoredAttempt;
}

function fromStored(s: StoredAttempt | Attempt): Attempt {
  if (!Array.isArray(s)) return s;
  const attempt: Attempt = {
    attempt: s[0],
    owner: s[1],
    startedAt: formatInstant(s[2]),
    finishedAt: formatInstant(s[3]),
    outcome: s[4],
  };
  if (s.length === 6) attempt.error = s[5];
  return attempt;
}
