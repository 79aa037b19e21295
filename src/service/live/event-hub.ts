/**
 * The live event feed behind `GET /v1/events`: the scheduler's events, each
 * serialized once, numbered, kept in a short replay ring and fanned out to
 * every connected {@link SseStream}. A client that reconnects with the
 * `Last-Event-ID` it saw gets what it missed from the ring; one whose id is
 * gone (too old, or from before a restart) gets a `resync` event instead.
 */
import { randomBytes } from 'node:crypto';
import type { SchedulerEventName, SchedulerEvents } from '../../engine/events.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import { sseFrame, type SseStream } from './sse-stream.js';

/** The scheduler events the feed carries (everything but internal `error`s). */
export const LIVE_EVENTS = [
  'execution:triggered',
  'execution:started',
  'execution:succeeded',
  'execution:failed',
  'execution:dead',
  'execution:on-failure',
  'fire:missed',
  'fire:missed-unrecorded',
  'fire:skipped',
  'lease:lost',
  'job:created',
  'job:changed',
  'job:removed',
  'job:stale',
  'history:pruned',
  'instance:dead',
  'instance:declared-dead',
] as const satisfies readonly SchedulerEventName[];

/** A name of {@link LIVE_EVENTS}. */
export type LiveEventName = (typeof LIVE_EVENTS)[number];

/** One event of the feed, serialized once for every client. */
interface LiveEvent {
  /** `<hub id>-<sequence>`: the SSE id. */
  id: string;
  seq: number;
  type: LiveEventName;
  /** The job it concerns (instance events concern none). */
  jobId: string | undefined;
  frame: string;
}

/** What one client wants to see. */
export interface LiveFilter {
  /** Only events of this job. */
  jobId?: string;
  /** Only these event types. */
  types?: ReadonlySet<string>;
}

/** Options of {@link EventHub}. */
export interface EventHubOptions {
  /** Events kept for replay after a reconnect. @defaultValue 1000 */
  replay?: number;
}

interface Client {
  stream: SseStream;
  filter: LiveFilter;
}

/** See the module comment. */
export class EventHub {
  /** Distinguishes this process's event ids from another's (a restart starts a new hub). */
  private readonly hubId = randomBytes(6).toString('hex');
  private readonly ring: LiveEvent[] = [];
  private readonly replay: number;
  private readonly clients = new Set<Client>();
  private readonly unsubscribe: (() => void)[] = [];
  private seq = 0;

  constructor(scheduler: Scheduler, options: EventHubOptions = {}) {
    this.replay = options.replay ?? 1000;
    for (const type of LIVE_EVENTS) {
      this.unsubscribe.push(
        scheduler.on(type, (payload: SchedulerEvents[LiveEventName]) =>
          this.publish(type, payload),
        ),
      );
    }
  }

  /** Connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /**
   * Connects a stream: replays what it missed since `lastEventId` (or sends
   * `resync` when that is no longer known), then sends it every new event
   * that passes its filter, until it closes.
   */
  attach(stream: SseStream, filter: LiveFilter, lastEventId?: string): void {
    const client: Client = { stream, filter };
    if (lastEventId !== undefined && lastEventId !== '') this.catchUp(client, lastEventId);
    else stream.comment('connected');
    this.clients.add(client);
    stream.onClose(() => this.clients.delete(client));
  }

  /** Ends every connection and stops listening to the scheduler. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const client of [...this.clients]) client.stream.end();
    this.clients.clear();
  }

  private catchUp(client: Client, lastEventId: string): void {
    const dash = lastEventId.lastIndexOf('-');
    const hub = lastEventId.slice(0, dash);
    const seq = Number(lastEventId.slice(dash + 1));
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    const known =
      hub === this.hubId && Number.isInteger(seq) && seq <= this.seq && seq >= oldest - 1;
    if (!known) {
      client.stream.send(this.lastId(), sseFrame(this.lastId(), 'resync', { dropped: null }));
      return;
    }
    for (const event of this.ring) {
      if (event.seq > seq && matches(client.filter, event))
        client.stream.send(event.id, event.frame);
    }
  }

  private publish(type: LiveEventName, payload: SchedulerEvents[LiveEventName]): void {
    const seq = ++this.seq;
    const id = `${this.hubId}-${seq}`;
    const data = dataOf(type, payload);
    const event: LiveEvent = { id, seq, type, jobId: data.jobId, frame: sseFrame(id, type, data) };
    this.ring.push(event);
    if (this.ring.length > this.replay) this.ring.shift();
    for (const client of this.clients) {
      if (matches(client.filter, event)) client.stream.send(id, event.frame);
    }
  }

  private lastId(): string {
    return `${this.hubId}-${this.seq}`;
  }
}

function matches(filter: LiveFilter, event: LiveEvent): boolean {
  return (
    (filter.jobId === undefined || filter.jobId === event.jobId) &&
    (filter.types === undefined || filter.types.has(event.type))
  );
}

/** The event as JSON data (dates become ISO text); a success's result is left out (read the execution). */
function dataOf(
  type: LiveEventName,
  payload: SchedulerEvents[LiveEventName],
): { jobId?: string } & Record<string, unknown> {
  if (type === 'execution:succeeded') {
    const { result: _result, ...rest } = payload as SchedulerEvents['execution:succeeded'];
    return rest;
  }
  return payload as { jobId?: string } & Record<string, unknown>;
}
