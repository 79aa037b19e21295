/**
 * The `http` target: one HTTP request per attempt (undici), carrying the
 * execution id as `Idempotency-Key`.
 */
export { httpExecutor, type HttpExecutorOptions, type HttpResult } from './http-executor.js';
export { HttpTargetSchema, HttpAuthSchema, type HttpTarget } from './schema.js';
