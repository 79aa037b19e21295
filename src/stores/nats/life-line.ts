/**
 * A NATS store's line to the thread of signs of life (`life-thread.ts`): its
 * channel there, with a connection of its own, and the instances it keeps
 * alive, remembered to keep them again on a new thread. Each sign of life
 * names the least dead time its instance's engine named so far: the engine's
 * `deadBefore` also discounts its own silences, which would stretch the
 * keeper's pauses past the dead time the others judge it by.
 */
import type { InstanceBeat } from '../instances.js';
import type { Settings } from './connection.js';
import type { KeptInstance } from './instance-key.js';
import { monotonicMs, type Asked, type Beat, type Written } from './life-keeper.js';
import { lineClosed, threadFor, type Call, type LifeThread } from './life-thread.js';

/** An engine clock this close to the wall clock is taken for it. */
const WALL_CLOCK_MS = 60_000;

let channels = 0;

/** A store's line to the thread of signs of life (see the module comment). */
export class LifeLine {
  private channel = channels++;
  private thread: LifeThread | undefined;
  private opening: Promise<void> | undefined;
  /** The instances kept, as last written: kept again on a new thread. */
  private readonly kept = new Map<
    string,
    { record: KeptInstance; revision: number; asked: Asked }
  >();
  /** The least dead time each instance's engine named. */
  private readonly deadTimes = new Map<string, number>();
  /** Messages sent by the channels of earlier threads. */
  private sentBefore = 0;
  private sentNow = 0;

  constructor(private readonly settings: Settings) {}

  /** Messages this store's connections on the thread have sent, as of their last answer. */
  get sent(): number {
    return this.sentBefore + this.sentNow;
  }

  /** Opens this store's channel (its connection) on the thread, spawning the thread first if needed. */
  async open(): Promise<void> {
    await this.ready();
  }

  /**
   * Keeps an instance, registered at `now` with its key at `revision`,
   * alive. Never fails: a keep the thread did not take is made again on the
   * next thread (a thread that ended is replaced).
   */
  async keep(record: KeptInstance, revision: number, at: { now: number; deadBefore: number }) {
    const kept = { record, revision, asked: this.asked(record.id, at.now, at.deadBefore) };
    this.kept.set(record.id, kept);
    await this.ready()
      .then((thread) => this.send(thread, { channel: this.channel, op: 'keep', ...kept }))
      .catch(() => undefined);
  }

  /** A sign of life of an instance kept: its key written, or null when it is no longer registered. */
  async beat({ id, now, held, running, deadBefore }: InstanceBeat): Promise<Written> {
    const thread = await this.ready();
    const asked = this.asked(id, now, deadBefore);
    const beat: Beat = { id, held, running, ...asked };
    const written = (await this.send(thread, { channel: this.channel, op: 'beat', beat })) ?? null;
    if (written) this.kept.set(id, { ...written, asked });
    else this.kept.delete(id);
    return written;
  }

  /** Stops keeping an instance alive; resolves once no sign of life of its is under way. */
  async release(id: string): Promise<void> {
    this.deadTimes.delete(id);
    if (!this.kept.delete(id) || !this.thread || this.thread.ended) return;
    await this.send(this.thread, { channel: this.channel, op: 'release', id });
  }

  /** Closes this store's channel. */
  async close(): Promise<void> {
    const { thread, opening, channel } = this;
    this.kept.clear();
    this.deadTimes.clear();
    this.thread = undefined;
    this.opening = undefined;
    lineClosed(this);
    const opened = await opening?.then(
      () => true,
      () => false,
    );
    if (!thread || thread.ended || !opened) return;
    await this.send(thread, { channel, op: 'close' }).catch(() => undefined);
  }

  private async ready(): Promise<LifeThread> {
    const thread = threadFor(this);
    if (this.thread !== thread || !this.opening) {
      this.thread = thread;
      this.channel = channels++;
      this.sentBefore += this.sentNow;
      this.sentNow = 0;
      const opening = this.reopen(thread);
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined;
      });
      this.opening = opening;
    }
    await this.opening;
    return thread;
  }

  private async reopen(thread: LifeThread): Promise<void> {
    const { channel, settings } = this;
    await this.send(thread, { channel, op: 'open', settings });
    for (const kept of this.kept.values())
      await this.send(thread, { channel, op: 'keep', ...kept });
  }

  /** The sign of life of an instance's engine at `now`. */
  private asked(id: string, now: number, deadBefore: number): Asked {
    const deadAfterMs = Math.min(this.deadTimes.get(id) ?? Infinity, now - deadBefore);
    this.deadTimes.set(id, deadAfterMs);
    const wallClock = Math.abs(now - Date.now()) < WALL_CLOCK_MS;
    return { now, at: monotonicMs(), deadAfterMs, wallClock };
  }

  private async send(thread: LifeThread, call: Call): Promise<Written | undefined> {
    const reply = await thread.call(call);
    if (reply.sent !== undefined && call.channel === this.channel) this.sentNow = reply.sent;
    return reply.value;
  }
}
