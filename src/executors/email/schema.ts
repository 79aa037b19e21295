import Type from 'typebox';
import { DurationSchema } from '../../model/duration.js';
import { HeaderMap, HeaderText } from '../../model/headers.js';
import { MAX_TARGET_BODY_BYTES, MAX_URL_LENGTH } from '../../model/limits.js';
import { Secret } from '../../model/secrets.js';

const AddressList = Type.Union(
  [Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })],
  {
    description:
      'An address ("Ops <ops@example.com>"), a comma-separated list, or an array of them; placeholders allowed',
  },
);

/**
 * Sends a notification through an SMTP server (nodemailer). The message's
 * `Message-ID` is `<executionId@chime>`, the same for every attempt of an
 * execution, so a receiver can drop the duplicate of a retried send.
 *
 * `from`, `to`, `cc`, `bcc`, `replyTo`, `subject`, `text`, `html` and the
 * values of `headers` are templates: `{{ user.name }}` inserts a payload field,
 * `{{ job.id }}`, `{{ execution.id }}`, `{{ fireAt }}` and `{{ attempt }}` the
 * fire's (see `template.ts`). At least one of `text` and `html` is required.
 *
 * Secret: the password of the `smtp` URL, `auth.pass`, and credential-like
 * `headers`; they are redacted from every view and never logged.
 */
export const EmailTargetSchema = Type.Object(
  {
    type: Type.Literal('email'),
    smtp: Secret(
      Type.String({
        pattern: '^smtps?://',
        maxLength: MAX_URL_LENGTH,
        description:
          'smtp://host[:port] (STARTTLS when offered) or smtps://host[:port] (TLS from the start); user:password@ allowed',
      }),
      'url',
    ),
    auth: Type.Optional(
      Type.Object(
        {
          user: Type.String({ minLength: 1 }),
          pass: Secret(Type.String()),
        },
        { additionalProperties: false, description: 'SMTP login; overrides one in the URL' },
      ),
    ),
    secure: Type.Optional(
      Type.Boolean({
        description: 'TLS from the start; defaults to true for smtps://, false for smtp://',
      }),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          rejectUnauthorized: Type.Optional(
            Type.Boolean({ description: 'Verify the server certificate (default true)' }),
          ),
          servername: Type.Optional(
            Type.String({ minLength: 1, description: 'The TLS server name (SNI)' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    from: Type.String({ minLength: 1 }),
    to: AddressList,
    cc: Type.Optional(AddressList),
    bcc: Type.Optional(AddressList),
    replyTo: Type.Optional(Type.String({ minLength: 1 })),
    subject: Type.String({ maxLength: 998 }),
    text: Type.Optional(
      Type.String({
        maxLength: MAX_TARGET_BODY_BYTES,
        description: 'Plain-text body; placeholders inserted as they are',
      }),
    ),
    html: Type.Optional(
      Type.String({
        maxLength: MAX_TARGET_BODY_BYTES,
        description: 'HTML body; placeholders HTML-escaped',
      }),
    ),
    headers: Type.Optional(
      Secret(HeaderMap('Extra header lines; values are templates', HeaderText()), 'headers'),
    ),
    timeout: Type.Optional(DurationSchema),
  },
  { additionalProperties: false, title: 'EmailTarget' },
);

/** An email target. */
export type EmailTarget = Type.Static<typeof EmailTargetSchema>;
