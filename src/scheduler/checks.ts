/**
 * The checks of the scheduler's call parameters that are not job
 * definitions (those are `validate-job.ts`'s): listings, due jobs, backfill,
 * stop. Each throws a `ChimeError` naming the offending field.
 */
import Type from 'typebox';
import { schemaCheck } from '../model/check.js';
import { EXECUTION_STATUSES } from '../model/execution.js';
import { MetadataSchema } from '../model/job.js';

/** `listJobs` parameters. */
export const LIST_JOBS_CHECK = schemaCheck(
  Type.Object(
    {
      metadata: Type.Optional(MetadataSchema),
      paused: Type.Optional(Type.Boolean()),
      targetType: Type.Optional(Type.String({ minLength: 1 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      cursor: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
);
/** `listExecutions` parameters. */
export const LIST_EXECUTIONS_CHECK = schemaCheck(
  Type.Object(
    {
      jobId: Type.Optional(Type.String({ minLength: 1 })),
      status: Type.Optional(Type.Union(EXECUTION_STATUSES.map((s) => Type.Literal(s)))),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      cursor: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
);
/** `listDueJobs` parameters (its `until` is checked apart). */
export const DUE_JOBS_CHECK = schemaCheck(
  Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
);
/** `backfillJob` parameters (the instants are checked by the backfill). */
export const BACKFILL_CHECK = schemaCheck(
  Type.Object(
    {
      from: Type.Unsafe<Date | string>({}),
      to: Type.Unsafe<Date | string>({}),
      dryRun: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
);
/** `stop` parameters. */
export const STOP_CHECK = schemaCheck(
  Type.Object(
    { timeoutMs: Type.Optional(Type.Integer({ minimum: 0 })) },
    { additionalProperties: false },
  ),
);
/** `apply` options. */
export const APPLY_CHECK = schemaCheck(
  Type.Object(
    { prune: Type.Optional(Type.Unknown()), dryRun: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
);
/** `clearJobs` parameters. */
export const CLEAR_CHECK = schemaCheck(
  Type.Object(
    { selector: Type.Unknown(), dryRun: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
);
