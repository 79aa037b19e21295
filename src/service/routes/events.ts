import Type from 'typebox';
import { ChimeError } from '../../errors.js';
import { LIVE_EVENTS, type EventHub, type LiveFilter } from '../live/event-hub.js';
import { SseStream, type SseLimits } from '../live/sse-stream.js';
import { checkedQuery, type Api } from './context.js';

const EventsQuery = Type.Object(
  {
    jobId: Type.Optional(Type.String({ minLength: 1, description: 'only the events of this job' })),
    types: Type.Optional(
      Type.String({
        minLength: 1,
        description: `only these event types, comma-separated: ${LIVE_EVENTS.join(', ')}`,
      }),
    ),
  },
  { additionalProperties: false },
);

const DESCRIPTION = `A server-sent events stream (text/event-stream) of what happens in the instance
that serves it: ${LIVE_EVENTS.map((t) => `\`${t}\``).join(', ')}. Each event has an \`id\`,
its type as the SSE \`event\` and one line of JSON \`data\` (the scheduler event's payload,
times as ISO 8601; \`execution:succeeded\` without the result — read the execution).
Reconnect with \`Last-Event-ID\` to get what you missed from a short replay ring. A \`resync\`
event means events were lost (the client fell behind, or its last id is gone): read the
state again. Comment lines (\`: heartbeat\`) keep idle connections open. Authenticated like
every /v1 route, with the \`Authorization\` header (EventSource cannot send one: read the
stream with fetch).`;

/** `GET /v1/events`: the live event stream (server-sent events). */
export function eventRoutes(app: Api, hub: EventHub, limits: SseLimits): void {
  app.get(
    '/v1/events',
    {
      // A HEAD would hold a stream open that carries nothing.
      exposeHeadRoute: false,
      schema: {
        tags: ['events'],
        summary: 'Live events (server-sent events)',
        description: DESCRIPTION,
        querystring: EventsQuery,
        response: {
          200: {
            description: 'An endless text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      },
    },
    (request, reply) => {
      const query = checkedQuery(EventsQuery, request.query);
      const filter = filterOf(query);
      const lastEventId = request.headers['last-event-id'];
      reply.hijack();
      // The stream outlives the write timeout on purpose: heartbeats keep it honest.
      request.raw.socket.setTimeout(0);
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      reply.raw.write('retry: 3000\n\n');
      const stream = new SseStream(reply.raw, limits);
      hub.attach(stream, filter, typeof lastEventId === 'string' ? lastEventId : undefined);
    },
  );
}

function filterOf(query: Type.Static<typeof EventsQuery>): LiveFilter {
  const filter: LiveFilter = {};
  if (query.jobId !== undefined) filter.jobId = query.jobId;
  if (query.types !== undefined) {
    const types = query.types.split(',').map((t) => t.trim());
    const unknown = types.find((t) => !(LIVE_EVENTS as readonly string[]).includes(t));
    if (unknown !== undefined) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `unknown event type "${unknown}": use ${LIVE_EVENTS.join(', ')}`,
        { path: '/types' },
      );
    }
    filter.types = new Set(types);
  }
  return filter;
}
