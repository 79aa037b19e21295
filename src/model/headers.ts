import Type, { type TSchema } from 'typebox';
import {
  HEADER_NAME_PATTERN,
  HEADER_VALUE_PATTERN,
  MAX_HEADER_NAME_LENGTH,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS,
} from './limits.js';
import { StringMap } from './string-map.js';

/** A header value as text: at most {@link MAX_HEADER_VALUE_LENGTH} characters, no CR, LF or NUL. */
export function HeaderText() {
  return Type.String({ maxLength: MAX_HEADER_VALUE_LENGTH, pattern: HEADER_VALUE_PATTERN });
}

/**
 * The headers of a target (http, amqp, nats, email), one rule for all: names
 * are RFC 9110 tokens of at most {@link MAX_HEADER_NAME_LENGTH} characters, at
 * most {@link MAX_HEADERS} of them, values as `value` says (text by default).
 */
export function HeaderMap<V extends TSchema>(description: string, value: V) {
  return StringMap(
    Type.String({ minLength: 1, maxLength: MAX_HEADER_NAME_LENGTH, pattern: HEADER_NAME_PATTERN }),
    value,
    { maxProperties: MAX_HEADERS, description },
  );
}
