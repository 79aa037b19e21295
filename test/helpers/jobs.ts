/** Job writes through the store contract's one job write (`jobsWrite`), for tests that write records directly. */
import type { JobRecord, Store, StoreMaintenance } from '../../src/stores/store.js';

/** Inserts a job record; false when its id is taken. */
export async function insertJob(store: Store, job: JobRecord): Promise<boolean> {
  const failed = await store.jobsWrite({
    writes: [{ job, expectedVersion: null, dropPlanned: false }],
  });
  return failed.length === 0;
}

/** Replaces a job if its version is still `expectedVersion` (see `JobWrite`); false otherwise. */
export async function updateJob(
  store: Store,
  params: { job: JobRecord; expectedVersion: number; dropPlanned: boolean },
): Promise<boolean> {
  return (await store.jobsWrite({ writes: [params] })).length === 0;
}

/** The store's maintenance part (every store of chime has one). */
export function maintenanceOf(store: Store): StoreMaintenance {
  if (!store.maintenance) throw new Error(`the ${store.name} store has no maintenance part`);
  return store.maintenance;
}
