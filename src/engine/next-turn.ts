/**
 * Resolves on a later turn of the event loop (after the I/O callbacks and
 * `setImmediate` work queued before it): a synchronous store's calls answer
 * within the current turn, so a loop over them would otherwise hold the
 * thread until it ends.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
