/**
 * Migration 8: a narrow table of work beside an `executions` history whose
 * indexed columns never change (issue 16). Frozen once shipped.
 *
 * `work` holds one row per execution that still has something to do — due,
 * leased, waiting for a retry, or failed with its onFailure delivery pending
 * (`has_work`): its id, job, due time, whether it is leased (`held`: its
 * `lease_owner` is set) and until when; who holds it is read from the
 * execution, which keeps the whole lease. It is written in the same
 * statement as its execution: inserted with it, updated with its lease and
 * due time, deleted when it ends. The claim, the take-over, the voiding of a
 * dead instance's leases and the next due time read it by its two partial
 * indexes; `executions` keeps the full record, and the lease there too.
 *
 * With the partial indexes of `executions` whose predicates named its status,
 * lease or finish time gone, no indexed column of an execution changes after
 * its insert: a finish (or a claim) rewrites the row on its page (fill factor
 * 50) without new index entries. The pruner's look for aged executions walks
 * a job's history by `executions_job_recent` instead of `executions_prunable_age`.
 *
 * Jobs gain `prune_look`, the pruner's next look at the job, never later than
 * `prune_after` (`sql.ts` says who writes it): `jobs_prune_look` indexes it
 * instead of `prune_after`, so a plan can set the look its fire will need and
 * the fire's finish, which writes the job's statistics and `prune_after`,
 * changes no indexed column of the job either (fill factor 65).
 *
 * `executions` leaves 65 % of each page free (fill factor 35, was 50): a
 * finish batch rewrites every row of a page it touches in one transaction, so
 * all their new versions must fit beside the old ones to stay on the page.
 * Measured on 2,000 one-shots (`scripts/wal-per-phase.ts`): at 50 % a quarter
 * of the finishes left their page (881 B of WAL per finish), at 35 % none
 * (724 B). Only pages written from now on leave the room.
 *
 * Rows of a migrated schema: each execution with work gets its work row, and
 * each job its look (its `prune_after`), in this migration's transaction.
 * `work` leaves half of each page free, so an update of a lease mostly stays
 * on its page.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE TABLE {{schema}}.work (
  id          text COLLATE "C" PRIMARY KEY,
  job_id      text COLLATE "C" NOT NULL,
  run_at      bigint  NOT NULL,
  held        boolean NOT NULL,
  lease_until bigint
) WITH (fillfactor = 50);

INSERT INTO {{schema}}.work (id, job_id, run_at, held, lease_until)
SELECT id, job_id, run_at, lease_owner IS NOT NULL, lease_until
FROM {{schema}}.executions WHERE has_work;

-- executionsClaim and nextDueAt: unleased work by due time.
CREATE INDEX work_due ON {{schema}}.work (run_at) WHERE NOT held;

-- executionsTakeOver, and the registry voiding a dead instance's leases: held leases by expiry.
CREATE INDEX work_leased ON {{schema}}.work (lease_until) WHERE held;

DROP INDEX {{schema}}.executions_claimable;
DROP INDEX {{schema}}.executions_leased;
DROP INDEX {{schema}}.executions_prunable_age;
ALTER TABLE {{schema}}.executions SET (fillfactor = 35);

ALTER TABLE {{schema}}.jobs ADD COLUMN prune_look bigint;
UPDATE {{schema}}.jobs SET prune_look = prune_after WHERE prune_after IS NOT NULL;
DROP INDEX {{schema}}.jobs_prune;
-- jobsToPrune: jobs by the pruner's next look.
CREATE INDEX jobs_prune_look ON {{schema}}.jobs (prune_look, id) WHERE prune_look IS NOT NULL;
`;

/** The table of work; executions become history whose indexed columns never change. */
export const migration008: Migration = { version: 8, name: 'work-table', sql };
