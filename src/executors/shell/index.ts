/**
 * The `shell` target: a command with arguments run without a shell, on when
 * the scheduler was created with `allowShell: true`.
 */
export {
  shellExecutor,
  validateShellTarget,
  type ShellExecutorOptions,
  type ShellResult,
} from './shell-executor.js';
export {
  ShellTargetSchema,
  CHIME_ENV,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_OUTPUT_BYTES,
  type ShellTarget,
} from './schema.js';
