/**
 * The built-in target types. Each is one executor module under
 * `src/executors/<type>/`; this list is the one place that names them all.
 */
import type { HandlerTarget } from './handler/schema.js';

/** Any target a job may name, discriminated by `type`. */
export type Target = HandlerTarget;
