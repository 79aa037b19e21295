import { expect } from 'vitest';
import { ChimeError } from '../../src/index.js';

/** The ChimeError a promise rejects with (fails the test when it resolves, or rejects otherwise). */
export async function chimeRejection(promise: Promise<unknown>): Promise<ChimeError> {
  const outcome = await promise.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(ChimeError);
  return outcome as ChimeError;
}
