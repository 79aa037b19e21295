/**
 * The shape every target shares: a `type` that names the executor that runs
 * it. The closed union of the built-in targets lives with the executors
 * (`executors/builtin.ts`); the model knows only this base.
 */
export interface TargetBase {
  readonly type: string;
  /** The fields of its type: JSON, checked by its executor's schema. */
  readonly [field: string]: unknown;
}
