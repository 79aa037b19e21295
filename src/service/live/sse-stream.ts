/**
 * One server-sent events connection: frames written as the socket takes
 * them, heartbeat comments while idle, and a bound on what waits for a slow
 * client. A client that does not keep up loses events, never grows the
 * server's memory: once more than `maxBufferedBytes` wait, further events are
 * dropped and counted, and when the socket drains the client gets one
 * `resync` event (`{"dropped":n}`) telling it to read the state again. A
 * client stalled for `stallMs` is disconnected.
 */

/** What a stream writes to: a `ServerResponse`, or any writable in tests. */
export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  readonly writableLength: number;
  on(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Limits of an {@link SseStream}. */
export interface SseLimits {
  /** Idle time after which a heartbeat comment is written. @defaultValue 15000 */
  heartbeatMs: number;
  /** Most bytes waiting for the client before events are dropped. @defaultValue 262144 */
  maxBufferedBytes: number;
  /** How long a client may take no bytes at all before it is disconnected. @defaultValue 60000 */
  stallMs: number;
}

/** The defaults of {@link SseLimits}. */
export const SSE_DEFAULTS: Readonly<SseLimits> = Object.freeze({
  heartbeatMs: 15_000,
  maxBufferedBytes: 256 * 1024,
  stallMs: 60_000,
});

/** One SSE frame: an event with an id, a name and one line of JSON data. */
export function sseFrame(id: string, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A server-sent events connection with backpressure; see the module comment. */
export class SseStream {
  private closed = false;
  private dropped = 0;
  private lastId = '';
  /** Since when bytes have waited without the socket draining (ms), or null. */
  private congestedSince: number | null = null;
  private lastWriteAt: number;
  private readonly timer: NodeJS.Timeout;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly sink: SseSink,
    private readonly limits: SseLimits = SSE_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {
    this.lastWriteAt = now();
    sink.on('drain', () => this.drained());
    sink.on('close', () => this.shut());
    const tick = Math.max(10, Math.min(limits.heartbeatMs, limits.stallMs) / 2);
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref();
  }

  /** Events dropped since the client last caught up. */
  get droppedCount(): number {
    return this.dropped;
  }

  /** True once the connection has ended. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes an event frame, or drops it when too much waits already (see the module comment). */
  send(id: string, frame: string): void {
    if (this.closed) return;
    if (this.dropped > 0 && this.sink.writableLength === 0) this.drained();
    const full = this.sink.writableLength + frame.length > this.limits.maxBufferedBytes;
    this.lastId = id;
    if (this.dropped > 0 || full) {
      this.dropped++;
      this.congestedSince ??= this.now();
      return;
    }
    this.write(frame);
  }

  /** Writes raw text (a comment, the `retry:` line), unless the client is behind. */
  comment(text: string): void {
    if (!this.closed && this.sink.writableLength === 0) this.write(`: ${text}\n\n`);
  }

  /** Calls `listener` once, when the connection ends (either side). */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Ends the connection from the server side. */
  end(): void {
    if (this.closed) return;
    this.sink.end();
    this.shut();
  }

  private write(frame: string): void {
    this.lastWriteAt = this.now();
    if (!this.sink.write(frame)) this.congestedSince ??= this.now();
  }

  private drained(): void {
    this.congestedSince = null;
    if (this.dropped === 0 || this.closed) return;
    const dropped = this.dropped;
    this.dropped = 0;
    this.write(sseFrame(this.lastId, 'resync', { dropped }));
  }

  private tick(): void {
    if (this.closed) return;
    const now = this.now();
    if (this.congestedSince !== null && now - this.congestedSince >= this.limits.stallMs) {
      this.sink.destroy();
      this.shut();
      return;
    }
    // Caught up without a 'drain' (what waited stayed under the socket's own mark).
    if (this.dropped > 0 && this.sink.writableLength === 0) this.drained();
    if (now - this.lastWriteAt >= this.limits.heartbeatMs) this.comment('heartbeat');
  }

  private shut(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
