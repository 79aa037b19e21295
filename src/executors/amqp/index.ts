/**
 * The `amqp` target: publishes to an AMQP 0-9-1 broker (RabbitMQ) with
 * publisher confirms; the execution id is the message's `messageId`.
 */
export { amqpExecutor, type AmqpResult } from './amqp-executor.js';
export { AmqpTargetSchema, type AmqpTarget } from './schema.js';
