/**
 * Why a fire did not run, or not when it was due: the reason the ledger
 * records with every missed, skipped and cancelled execution (and with a fire
 * that waits under `overlap: 'buffer_one'`).
 */
import type { ErrorInfo } from './execution.js';

/**
 * - `downtime`: past its misfire grace (no instance ran it in time, or its job
 *   was busy until then) and the misfire policy does not run it;
 * - `catch_up_limit`: late, and older than the newest `maxCatchUp` late fires;
 * - `overlap`: an earlier execution of its job was unfinished (`forbid`);
 * - `buffer_full`: an earlier execution was unfinished and another fire already
 *   waited for it (`buffer_one`);
 * - `buffered`: it waits (or waited) for an earlier execution (`buffer_one`);
 * - `paused`: its job was paused;
 * - `replaced`: a newer fire of its job replaced it (`replace`).
 */
export const REASON_CODES = [
  'downtime',
  'catch_up_limit',
  'overlap',
  'buffer_full',
  'buffered',
  'paused',
  'replaced',
] as const;

/** A reason's code. */
export type ReasonCode = (typeof REASON_CODES)[number];

/** Why a fire did not run: a stable code and a sentence naming the specifics. */
export interface Reason {
  code: ReasonCode;
  message: string;
}

/**
 * The `name` an execution record's `error` carries when it holds a reason
 * instead of an error: stores keep the reason in the error slot (the one
 * field a fire that did not run has free), and views tell them apart.
 */
const REASON_NAME = 'ChimeNotRun';

/** A reason as stored in an execution record's `error`. */
export function reasonAsError(reason: Reason): ErrorInfo {
  return { name: REASON_NAME, code: reason.code, message: reason.message };
}

/** The reason an execution record's `error` holds, or undefined when it holds an error (or nothing). */
export function reasonOf(error: ErrorInfo | undefined): Reason | undefined {
  if (error?.name !== REASON_NAME) return undefined;
  const code = REASON_CODES.find((c) => c === error.code);
  return code === undefined ? undefined : { code, message: error.message };
}
