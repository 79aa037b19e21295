/** The executors of a scheduler, by the target type each runs. */
import { ChimeError } from '../errors.js';
import type { Executor } from '../executors/executor.js';

/**
 * Executors by target type: the built-in ones, replaced by the caller's
 * executors of the same type; a type the caller defines twice is refused.
 */
export function executorMap(
  builtin: Executor[],
  custom: readonly Executor[],
): Map<string, Executor> {
  const map = new Map(builtin.map((executor) => [executor.type, executor]));
  const seen = new Set<string>();
  custom.forEach((executor, i) => {
    if (seen.has(executor.type)) {
      const message = `target type "${executor.type}" has two executors`;
      throw new ChimeError('CHIME_ERR_OPTION_INVALID', message, { path: `/executors/${i}/type` });
    }
    seen.add(executor.type);
    map.set(executor.type, executor);
  });
  return map;
}
