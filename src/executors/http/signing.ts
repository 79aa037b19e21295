/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/), so a
 * receiver can tell a request came from chime. Each signed request carries
 * `webhook-id` (the execution id: the same on every attempt),
 * `webhook-timestamp` (unix seconds when it is sent) and `webhook-signature`:
 * `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per secret,
 * space-separated, so a receiver may rotate its secret. A secret is written
 * `whsec_<base64 key>`, the key 24 to 64 bytes.
 */
import { createHmac } from 'node:crypto';
import { ChimeError, type ErrorCode } from '../../errors.js';

/** A `whsec_` secret: the prefix and standard, padded base64. */
export const SIGNING_SECRET_PATTERN =
  '^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

const SECRET = new RegExp(SIGNING_SECRET_PATTERN);
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/**
 * The keys of one secret or of a list of them (never echoed in messages).
 * @throws ChimeError `code` at `path` (a list: `path/<index>`) for a secret
 * that is not `whsec_` and the base64 of 24 to 64 bytes.
 */
export function signingKeys(
  secret: string | readonly string[],
  path: string,
  code: ErrorCode = 'CHIME_ERR_INVALID_INPUT',
): Buffer[] {
  const list = typeof secret === 'string' ? [secret] : secret;
  return list.map((one, i) => {
    const key = SECRET.test(one) ? Buffer.from(one.slice('whsec_'.length), 'base64') : undefined;
    if (key && key.length >= MIN_KEY_BYTES && key.length <= MAX_KEY_BYTES) return key;
    throw new ChimeError(
      code,
      `a signing secret is "whsec_" and the base64 of a key of ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes`,
      { path: typeof secret === 'string' ? path : `${path}/${i}` },
    );
  });
}

/** The Standard Webhooks headers of one request with `body` (none: the empty string), sent `now`. */
export function webhookHeaders(
  keys: readonly Buffer[],
  id: string,
  body: string | undefined,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const signed = `${id}.${timestamp}.${body ?? ''}`;
  const signatures = keys.map(
    (key) => `v1,${createHmac('sha256', key).update(signed).digest('base64')}`,
  );
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signatures.join(' '),
  };
}
