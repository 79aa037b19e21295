/**
 * The `nats` target: publishes to a NATS subject, core or JetStream; the
 * execution id is the `Nats-Msg-Id` header (JetStream de-duplication).
 */
export { natsExecutor, type NatsResult } from './nats-executor.js';
export { NatsTargetSchema, type NatsTarget } from './schema.js';
