/**
 * What an http attempt records of a response body: its first bytes as text,
 * read without buffering the rest, and cut further when the whole result
 * would not fit the scheduler's result cap (which would replace it by a note).
 */
import { TextDecoder } from 'node:util';

/** Body bytes read past the excerpt so the connection can be reused; a longer body closes it. */
export const DRAIN_BYTES = 64 * 1024;

/** The first bytes of a body as text, and whether there was more. */
export interface Excerpt {
  text: string;
  truncated: boolean;
}

/**
 * Reads the first `maxBytes` of a body (never splitting a character), then
 * drains up to {@link DRAIN_BYTES} more so the connection can be reused; the
 * rest of a longer body is not read, and its connection closes.
 */
export async function readExcerpt(body: AsyncIterable<Buffer>, maxBytes: number): Promise<Excerpt> {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let kept = 0;
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (kept < maxBytes) {
      const part = chunk.subarray(0, maxBytes - kept);
      kept += part.length;
      // stream: true holds back a character cut at the end of the excerpt.
      text += decoder.decode(part, { stream: true });
    }
    if (seen > maxBytes + DRAIN_BYTES) break;
  }
  return { text, truncated: seen > kept };
}

/**
 * `result` with its `body` cut (and `truncated` set) until the result takes
 * at most `maxBytes` as JSON: escapes and multi-byte characters make the JSON
 * of a text longer than the text.
 */
export function fitResult<R extends { body: string; truncated: boolean }>(
  result: R,
  maxBytes: number,
): R {
  const size = (body: string) => Buffer.byteLength(JSON.stringify({ ...result, body }));
  const empty = size('');
  let body = result.body;
  let total = size(body);
  if (total <= maxBytes) return result;
  // Cut in proportion first, then by what is still over: every character
  // takes at least one byte of JSON, so that second cut is the last.
  let keep = Math.floor((body.length * Math.max(0, maxBytes - empty)) / (total - empty));
  while (total > maxBytes && body !== '') {
    body = body.slice(0, keep).replace(/[\uD800-\uDBFF]$/, '');
    total = size(body);
    keep = Math.max(0, body.length - (total - maxBytes));
  }
  return { ...result, body, truncated: true };
}
