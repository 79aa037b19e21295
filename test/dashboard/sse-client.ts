/**
 * A server-sent events client for the tests: `GET /v1/events` read with
 * fetch (headers included), parsed with eventsource-parser, every event kept.
 */
import { createParser } from 'eventsource-parser';

/** One event received. */
export interface Received {
  id: string | undefined;
  event: string | undefined;
  data: Record<string, unknown>;
}

/** An open stream. */
export interface EventStream {
  status: number;
  headers: Headers;
  events: Received[];
  /** Comment lines received (heartbeats), without the colon. */
  comments: string[];
  /**
   * The first event that matches, among those not yet passed by an earlier
   * `next` (received already, or still to come): events are taken in order,
   * so an event that arrived before the call is not missed.
   */
  next(match: (event: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens `GET <base>/v1/events<query>` with the given headers. */
export async function openEvents(
  base: string,
  options: { token?: string; lastEventId?: string; query?: string } = {},
): Promise<EventStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const response = await fetch(`${base}/v1/events${options.query ?? ''}`, {
    headers,
    signal: controller.signal,
  });
  const events: Received[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const parser = createParser({
    onEvent: (message) => {
      events.push({
        id: message.id,
        event: message.event,
        data: JSON.parse(message.data) as Record<string, unknown>,
      });
      waiters.forEach((wake) => wake());
    },
    onComment: (comment) => comments.push(comment.trim()),
  });
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body)
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted by close()
    }
  })();
  let consumed = 0;
  const next = (match: (event: Received) => boolean, timeoutMs = 10_000) =>
    new Promise<Received>((resolve, reject) => {
      const check = () => {
        const index = events.findIndex((event, i) => i >= consumed && match(event));
        if (index < 0) return;
        consumed = index + 1;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(events[index] as Received);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        const got = events.map((e) => e.event).join(', ');
        reject(new Error(`no matching event within ${timeoutMs} ms; got ${got}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    status: response.status,
    headers: response.headers,
    events,
    comments,
    next,
    ended,
    close: () => controller.abort(),
  };
}
