/**
 * One SSE connection's writer against a client that reads nothing, then
 * catches up: what waits is bounded, what could not wait is counted and
 * announced as one `resync`, a quiet stream gets heartbeats, a stalled
 * client is cut off.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sseFrame, SseStream, type SseSink } from '../../src/service/live/sse-stream.js';
import { until } from '../helpers/events.js';

/** A socket-like sink whose client reads only when told to. */
class SlowClient extends EventEmitter implements SseSink {
  /** Bytes written but not yet taken by the client. */
  private pending: string[] = [];
  /** What the client has read. */
  received = '';
  ended = false;
  destroyed = false;
  private needsDrain = false;

  constructor(private readonly highWaterMark = 16 * 1024) {
    super();
  }

  get writableLength(): number {
    return this.pending.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  write(chunk: string): boolean {
    this.pending.push(chunk);
    const ok = this.writableLength < this.highWaterMark;
    if (!ok) this.needsDrain = true;
    return ok;
  }

  end(): void {
    this.ended = true;
    this.emit('close');
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }

  /** The client reads everything waiting. */
  catchUp(): void {
    this.received += this.pending.join('');
    this.pending = [];
    if (this.needsDrain) {
      this.needsDrain = false;
      this.emit('drain');
    }
  }
}

const event = (n: number) =>
  sseFrame(`h-${n}`, 'job:changed', { jobId: `job-${n}`, pad: 'x'.repeat(200) });

describe('SseStream', () => {
  it('bounds what waits for a slow client, drops the rest and announces one resync when it catches up', () => {
    const client = new SlowClient();
    const limits = { heartbeatMs: 60_000, maxBufferedBytes: 64 * 1024, stallMs: 60_000 };
    const stream = new SseStream(client, limits);
    let most = 0;
    for (let n = 1; n <= 5000; n++) {
      stream.send(`h-${n}`, event(n));
      most = Math.max(most, client.writableLength);
    }
    // 5,000 events of ~260 bytes were sent; never more than the limit waited.
    expect(most).toBeLessThanOrEqual(limits.maxBufferedBytes);
    expect(stream.droppedCount).toBeGreaterThan(4000);
    const dropped = stream.droppedCount;

    client.catchUp();
    expect(stream.droppedCount).toBe(0);
    stream.send('h-5001', event(5001));
    client.catchUp();
    const frames = client.received.split('\n\n').filter(Boolean);
    const resync = frames.find((f) => f.includes('event: resync'));
    expect(resync).toBe(`id: h-5000\nevent: resync\ndata: {"dropped":${dropped}}`);
    // Events in order: the ones that fitted, the resync, then new events again.
    expect(frames.at(-2)).toBe(resync);
    expect(frames.at(-1)).toContain('id: h-5001');
    expect(frames[0]).toContain('id: h-1\n');
    stream.end();
  });

  it('resyncs once caught up even when what waited stayed under the socket mark (no drain)', async () => {
    const client = new SlowClient(1024 * 1024);
    const stream = new SseStream(client, {
      heartbeatMs: 50,
      maxBufferedBytes: 1000,
      stallMs: 60_000,
    });
    for (let n = 1; n <= 10; n++) stream.send(`h-${n}`, event(n));
    expect(stream.droppedCount).toBe(7);
    client.catchUp();
    await until(() => client.writableLength > 0 || client.received.includes('resync'), 2000);
    client.catchUp();
    expect(client.received).toContain('event: resync\ndata: {"dropped":7}');
    stream.end();
  });

  it('writes heartbeat comments while quiet, and none to a client that is behind', async () => {
    const client = new SlowClient();
    const stream = new SseStream(client, {
      heartbeatMs: 40,
      maxBufferedBytes: 64 * 1024,
      stallMs: 60_000,
    });
    await until(() => client.writableLength > 0, 2000, 'a heartbeat');
    client.catchUp();
    expect(client.received).toBe(': heartbeat\n\n');
    stream.send('h-1', event(1));
    const waiting = client.writableLength;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.writableLength).toBe(waiting);
    stream.end();
    expect(client.ended).toBe(true);
  });

  it('cuts off a client that takes nothing for stallMs, and tells its listeners', async () => {
    const client = new SlowClient(1000);
    const stream = new SseStream(client, {
      heartbeatMs: 60_000,
      maxBufferedBytes: 2000,
      stallMs: 100,
    });
    let closed = false;
    stream.onClose(() => (closed = true));
    for (let n = 1; n <= 20; n++) stream.send(`h-${n}`, event(n));
    await until(() => closed, 2000, 'the stalled client cut off');
    expect(client.destroyed).toBe(true);
    expect(stream.isClosed).toBe(true);
    stream.send('h-21', event(21));
    expect(client.writableLength).toBeLessThanOrEqual(2000);
  });
});
