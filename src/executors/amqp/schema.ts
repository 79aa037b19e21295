import Type from 'typebox';
import { DurationSchema } from '../../model/duration.js';
import { HeaderMap, HeaderText } from '../../model/headers.js';
import { MAX_TARGET_BODY_BYTES, MAX_URL_LENGTH } from '../../model/limits.js';
import { Secret } from '../../model/secrets.js';

/** The headers chime sets on every AMQP message; a target may not set them itself. */
export const AMQP_CHIME_HEADERS = [
  'x-chime-job-id',
  'x-chime-fire-at',
  'x-chime-attempt',
  'x-chime-backfill',
] as const;

/** An AMQP header value: AMQP tables carry typed values, chime passes these three kinds. */
const HeaderValueSchema = Type.Union([HeaderText(), Type.Number(), Type.Boolean()]);

/**
 * Publishes one message per attempt to an AMQP 0-9-1 broker (RabbitMQ) on a
 * confirm channel: the attempt succeeds only when the broker acks the message.
 * The message's `messageId` is the execution id, the same for every attempt,
 * so a receiver can drop the copies a retry may produce. Chime also sets the
 * headers `x-chime-job-id`, `x-chime-fire-at` (ISO 8601) and `x-chime-attempt`.
 */
export const AmqpTargetSchema = Type.Object(
  {
    type: Type.Literal('amqp'),
    url: Secret(
      Type.String({
        pattern: '^amqps?://',
        maxLength: MAX_URL_LENGTH,
        description:
          'amqp:// or amqps:// URL of the broker, with credentials and vhost: amqp://user:password@host:5672/vhost',
      }),
      'url',
    ),
    exchange: Type.String({
      maxLength: 255,
      pattern: '^[A-Za-z0-9_.:-]*$',
      description: 'Exchange to publish to; "" is the default exchange (routing key = queue name)',
    }),
    routingKey: Type.String({ maxLength: 255, description: 'Routing key of the message' }),
    headers: Type.Optional(
      HeaderMap(
        'Message headers (strings, numbers, booleans); x-chime-* are set by chime',
        HeaderValueSchema,
      ),
    ),
    persistent: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'Delivery mode 2: the broker writes the message to disk (default true)',
      }),
    ),
    mandatory: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'An unroutable message (no queue bound) is returned and fails the attempt (default true)',
      }),
    ),
    contentType: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        default: 'application/json',
        description: 'Content type of the body (default application/json)',
      }),
    ),
    body: Type.Optional(
      Type.String({
        maxLength: MAX_TARGET_BODY_BYTES,
        description: "The message body; default: the execution's payload as JSON",
      }),
    ),
    timeout: Type.Optional(DurationSchema),
  },
  { additionalProperties: false, title: 'AmqpTarget' },
);

/** An amqp target. */
export type AmqpTarget = Type.Static<typeof AmqpTargetSchema>;
