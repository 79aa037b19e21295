import Type from 'typebox';
import { DurationSchema } from '../../model/duration.js';
import { HeaderMap, HeaderText } from '../../model/headers.js';
import { MAX_TARGET_BODY_BYTES, MAX_URL_LENGTH } from '../../model/limits.js';
import { Secret } from '../../model/secrets.js';

/** The headers chime sets on every NATS message; a target may not set them itself. */
export const NATS_CHIME_HEADERS = [
  'Nats-Msg-Id',
  'Chime-Job-Id',
  'Chime-Fire-At',
  'Chime-Attempt',
  'Chime-Backfill',
] as const;

/** A server URL: `nats://` or `tls://`, with optional credentials (`user:password@`); tokens go in `auth`. */
function serverUrlSchema() {
  return Secret(
    Type.String({
      pattern: '^(nats|tls)://[^\\s/?#]+/?$',
      maxLength: MAX_URL_LENGTH,
      description: 'nats://host:4222 or tls://host:4222, optionally nats://user:password@host',
    }),
    'url',
  );
}

/**
 * Publishes one message per attempt to a NATS subject. Core NATS: the attempt
 * succeeds once the server has the message (a flush round trip). With
 * `jetstream: true`: once the stream that takes the subject acks it; the
 * message carries `Nats-Msg-Id` = the execution id, so a retried attempt within
 * the stream's duplicate window stores one message, not two. Chime also sets
 * the headers `Chime-Job-Id`, `Chime-Fire-At` (ISO 8601) and `Chime-Attempt`.
 */
export const NatsTargetSchema = Type.Object(
  {
    type: Type.Literal('nats'),
    servers: Secret(
      Type.Union(
        [serverUrlSchema(), Type.Array(serverUrlSchema(), { minItems: 1, maxItems: 32 })],
        {
          description: 'One server URL or a list of them (all nats:// or all tls://)',
        },
      ),
      'url',
    ),
    subject: Type.String({
      minLength: 1,
      maxLength: 1024,
      pattern: '^[^.\\s*>]+(\\.[^.\\s*>]+)*$',
      description: 'Subject to publish to: dot-separated tokens, no wildcards, no whitespace',
    }),
    headers: Type.Optional(
      HeaderMap('Message headers; Nats-Msg-Id and Chime-* are set by chime', HeaderText()),
    ),
    body: Type.Optional(
      Type.String({
        maxLength: MAX_TARGET_BODY_BYTES,
        description: "The message body; default: the execution's payload as JSON",
      }),
    ),
    jetstream: Type.Optional(
      Type.Boolean({
        default: false,
        description: "Publish through JetStream and wait for the stream's ack (default false)",
      }),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          token: Type.Optional(Secret(Type.String({ minLength: 1, maxLength: 4096 }))),
          user: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          password: Type.Optional(Secret(Type.String({ maxLength: 4096 }))),
        },
        {
          additionalProperties: false,
          description:
            'Credentials: a token, or user and password; they override credentials in the URLs',
        },
      ),
    ),
    timeout: Type.Optional(DurationSchema),
  },
  { additionalProperties: false, title: 'NatsTarget' },
);

/** A nats target. */
export type NatsTarget = Type.Static<typeof NatsTargetSchema>;
