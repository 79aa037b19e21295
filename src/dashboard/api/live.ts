/**
 * The page's live feed: `GET /v1/events` read with fetch (EventSource cannot
 * send the Authorization header, and the token never goes in a URL), parsed
 * as server-sent events, handed to subscribers. It reconnects with backoff,
 * sending `Last-Event-ID` so the service replays what was missed; when it
 * cannot (the service restarted, or this client fell behind), subscribers get
 * a `resync` event and read their state again. Silence longer than three
 * heartbeats counts as a dead connection.
 */
import { createParser } from 'eventsource-parser';
import { authHeaders } from './client';

/** The data of a live event: the scheduler event's payload. */
export interface LiveData {
  jobId?: string;
  executionId?: string;
  [field: string]: unknown;
}

/** One live event; `resync` means: read everything again. */
export interface LiveEvent {
  type: string;
  data: LiveData;
}

/** Where the feed stands. */
export type LiveStatus = 'connecting' | 'live' | 'offline' | 'unauthorized';

const SILENCE_MS = 45_000;
const MAX_BACKOFF_MS = 30_000;
const HIDDEN_GRACE_MS = 10_000;

/** See the module comment. */
export class LiveFeed {
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private readonly statusListeners = new Set<(status: LiveStatus) => void>();
  private lastId: string | undefined;
  private controller: AbortController | undefined;
  private backoffMs = 1000;
  /** Failed connections since the feed was last live. */
  private failures = 0;
  private retryTimer: number | undefined;
  private running = false;
  /** Let go while the tab is hidden. */
  private suspended = false;
  private watching = false;
  private hideTimer: number | undefined;
  private current: LiveStatus = 'connecting';

  /** Where the feed stands now. */
  get status(): LiveStatus {
    return this.current;
  }

  /** Connects (again), unless already running. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.watchVisibility();
    void this.connect();
  }

  /** Disconnects for good (until the next start). */
  stop(): void {
    this.running = false;
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.hideTimer);
    this.controller?.abort();
  }

  /**
   * A tab hidden for a while lets its stream go, and picks it up again (with
   * `Last-Event-ID`) when shown: browsers allow six HTTP/1.1 connections per
   * host, and six open tabs must not use them all.
   */
  private watchVisibility(): void {
    if (this.watching) return;
    this.watching = true;
    document.addEventListener('visibilitychange', () => {
      window.clearTimeout(this.hideTimer);
      if (document.hidden) {
        this.hideTimer = window.setTimeout(() => {
          this.suspended = true;
          window.clearTimeout(this.retryTimer);
          this.controller?.abort();
        }, HIDDEN_GRACE_MS);
      } else if (this.suspended) {
        this.suspended = false;
        if (this.running) void this.connect();
      }
    });
  }

  /** Calls `listener` with every event; returns the unsubscribe function. */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: LiveStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.current) return;
    this.current = status;
    this.statusListeners.forEach((listener) => listener(status));
  }

  private emit(event: LiveEvent): void {
    this.listeners.forEach((listener) => listener(event));
  }

  private async connect(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.setStatus('connecting');
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
      if (this.lastId !== undefined) headers['last-event-id'] = this.lastId;
      const response = await fetch('/v1/events', {
        headers,
        signal: controller.signal,
        cache: 'no-store',
      });
      if (response.status === 401) {
        this.running = false;
        this.setStatus('unauthorized');
        return;
      }
      if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
      await this.read(response.body, controller);
    } catch {
      // Ends below: a reconnect after a pause.
    }
    if (!this.running || this.suspended) return;
    this.failures++;
    this.setStatus('offline');
    this.retryTimer = window.setTimeout(() => void this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  private async read(body: ReadableStream<Uint8Array>, controller: AbortController): Promise<void> {
    const parser = createParser({
      onEvent: (message) => {
        if (message.id) this.lastId = message.id;
        const data = parseData(message.data);
        this.emit({ type: message.event ?? 'message', data });
      },
    });
    let watchdog = window.setTimeout(() => controller.abort(), SILENCE_MS);
    this.setStatus('live');
    this.backoffMs = 1000;
    // Never connected before the outage: nothing to replay from, so read everything again.
    if (this.failures > 0 && this.lastId === undefined) this.emit({ type: 'resync', data: {} });
    this.failures = 0;
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        window.clearTimeout(watchdog);
        watchdog = window.setTimeout(() => controller.abort(), SILENCE_MS);
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } finally {
      window.clearTimeout(watchdog);
    }
  }
}

function parseData(text: string): LiveData {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as LiveData) : {};
  } catch {
    return {};
  }
}

/** The page's one feed. */
export const live = new LiveFeed();
