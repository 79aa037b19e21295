/**
 * What the scheduler tests of overlaps and fire reasons share beyond the
 * store cases (`store-cases.ts`): a database of a case that several
 * instances open one after another or at once, and a job's ledger read once
 * it is settled.
 */
import type { Execution, Scheduler, Store } from '../../src/index.js';
import { until } from './events.js';
import type { StoreCase } from './store-cases.js';

/** A database of a store case: `store()` gives its first store, then others on the same data; `cleanup` removes it. */
export function databaseOf(storeCase: StoreCase): {
  store: () => Store;
  cleanup: () => Promise<void>;
} {
  const made = storeCase.make();
  let given = false;
  return {
    store: () => {
      if (!given) {
        given = true;
        return made.store;
      }
      // The memory store has no other store on its data: its instances share the one store.
      return made.another?.() ?? made.store;
    },
    cleanup: made.cleanup,
  };
}

/**
 * Every execution of a job, oldest fire first, once `done` holds for them;
 * what was last read is in the error when it never does (within `timeoutMs`).
 */
export async function ledgerOf(
  s: Scheduler,
  jobId: string,
  done: (executions: Execution[]) => boolean,
  timeoutMs = 15_000,
): Promise<Execution[]> {
  let executions: Execution[] = [];
  await until(
    async () => {
      executions = (await s.listExecutions({ jobId, limit: 100 })).items.reverse();
      return done(executions);
    },
    timeoutMs,
    `the ledger of ${jobId}`,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}: ${JSON.stringify(executions)}`);
  });
  return executions;
}
