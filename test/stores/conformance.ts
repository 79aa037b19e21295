/**
 * The store conformance suite: one set of tests every store runs unchanged
 * (`describeStoreConformance('sqlite', makeStore)`). It states the contract of
 * `src/stores/store.ts` as behaviour: jobs and their compare-and-set, planning,
 * one execution per `(jobId, fireAt)` of a schedule, claims, take-overs,
 * fencing by lease token, the overlap rule, retries, the onFailure hand-off,
 * listings and JSON round trips, the run statistics a store keeps per job,
 * the pruning of finished executions and the staleness of jobs. Each test
 * gets a fresh, opened store.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import { Fixture, type StoreUnderTest } from './conformance/fixture.js';
import { lifecycleTests } from './conformance/lifecycle.js';
import { jobTests } from './conformance/jobs.js';
import { jobBatchTests } from './conformance/job-batches.js';
import { jobListingTests } from './conformance/job-listings.js';
import { advanceTests } from './conformance/plans.js';
import { fireCountTests } from './conformance/fire-count.js';
import { backfillTests } from './conformance/backfills.js';
import { executionTests } from './conformance/executions.js';
import { claimTests } from './conformance/claims.js';
import { takeOverTests } from './conformance/take-overs.js';
import { startTests } from './conformance/starts.js';
import { finishTests } from './conformance/finishes.js';
import { leaseTests } from './conformance/leases.js';
import { statsTests } from './conformance/stats.js';
import { pruneAfterTests } from './conformance/prune-after.js';
import { pruneTests } from './conformance/prune.js';
import { staleTests } from './conformance/stale.js';
import { registryTests } from './conformance/registry.js';

export type { StoreUnderTest } from './conformance/fixture.js';

/**
 * Registers the conformance suite for one store. `makeStore` is called before
 * every test and must return an empty store; `cleanup` runs after it. The
 * suite's tests live in `conformance/`, one file per concern.
 */
export function describeStoreConformance(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
): void {
  describe(`store conformance: ${name}`, () => {
    const fx = new Fixture();
    beforeEach(() => fx.setUp(makeStore));
    afterEach(() => fx.tearDown());

    lifecycleTests(fx);
    jobTests(fx);
    jobBatchTests(fx);
    jobListingTests(fx);
    advanceTests(fx);
    fireCountTests(fx);
    backfillTests(fx);
    executionTests(fx);
    claimTests(fx);
    takeOverTests(fx);
    startTests(fx);
    finishTests(fx);
    leaseTests(fx);
    statsTests(fx);
    pruneAfterTests(fx);
    pruneTests(fx);
    staleTests(fx);
    registryTests(fx);
  });
}
