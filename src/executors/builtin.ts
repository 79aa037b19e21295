/**
 * The built-in target types. Each is one executor module under
 * `src/executors/<type>/`; this list is the one place that names them all.
 */
import type { Executor } from './executor.js';
import { handlerExecutor, type HandlerRegistry } from './handler/handler-executor.js';
import type { HandlerTarget } from './handler/schema.js';

/** Any target a job may name, discriminated by `type`. */
export type Target = HandlerTarget;

/** What the built-in executors are made from. */
export interface BuiltinExecutorDeps {
  /** The in-process functions of handler targets. */
  handlers: HandlerRegistry;
  /** Whether shell targets may be defined and run. */
  allowShell: boolean;
}

/** The built-in executors, one per target type. */
export function builtinExecutors(deps: BuiltinExecutorDeps): Executor[] {
  return [handlerExecutor(deps.handlers) as Executor];
}
