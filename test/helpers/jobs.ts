/** Job writes through the store contract's one job write (`jobsWrite`), for tests that write records directly. */
import { every } from '../../src/index.js';
import { newJobRecord } from '../../src/scheduler/job-records.js';
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

/** Inserts jobs firing every second from `t0` straight into the store (fast, and every instance hears of them). */
export async function insertEverySecond(store: Store, ids: string[], t0: number): Promise<void> {
  const now = Date.now();
  await Promise.all(
    ids.map((id) =>
      insertJob(
        store,
        newJobRecord(id, { id, schedule: every('1s', { startAt: new Date(t0) }) }, now),
      ),
    ),
  );
}
