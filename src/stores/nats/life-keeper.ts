/**
 * The keeper of a NATS store's signs of life, run in a thread of its own on
 * a connection of its own (`life-thread.ts`): it writes every sign of life of
 * the instances registered through its store, those the main thread asks for
 * and, once a third of the engine's dead time passed since the key's last
 * write, one of its own. So a process that lives keeps its registration
 * however busy its main thread is — catching up the backlog of an election,
 * say — as a Postgres session keeps its advisory lock; a process killed or
 * stopped loses it after `deadAfterMs`, and a main thread silent for
 * {@link HUNG_AFTER} dead times is taken for hung (its keeper stops, and the
 * others declare its instance dead).
 *
 * A sign of life of its own carries the main thread's last instant moved on
 * by the time since (a monotonic clock), and only when the engine's clock is
 * the wall clock (not a test's clock). It moves `lastSeenAt` only: `beatAt`,
 * the engine's own last sign of life, bounds what a dead instance may have
 * started (the engine's self-fencing counts from it). The keeper is the only
 * writer of the keys it keeps: a write that finds its key moved by another
 * is a death (or a new registration under the id), unless the key holds this
 * registration, not dying (an earlier write of its own applied while its
 * answer was lost): then it writes again.
 */
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectTo, type Settings, unavailable } from './connection.js';
import { encode, keyOf } from './documents.js';
import {
  SIGN_OF_LIFE_RESEND_MS,
  sameRegistration,
  type KeptInstance,
  type StoredInstance,
} from './instance-key.js';
import { ACK_TIMEOUT_MS, writeKey } from './key-write.js';
import { Publisher } from './publisher.js';

/** Dead times a main thread may be silent before its keeper takes it for hung. */
const HUNG_AFTER = 6;
/** A keeper shows life once this part of the dead time passed since its key's last write. */
const LATE_PART = 1 / 3;
/** The least dead time a keeper believes (a sign of life may name any bound). */
const MIN_DEAD_AFTER_MS = 100;
/** Pause before a sign of life of its own that failed is tried again. */
const RETRY_MS = 250;

/**
 * The main thread's sign of life, or registration: its engine instant, the
 * monotonic clock then (`at`, ms), its dead time (the least it named for
 * this instance), and whether its engine clock is the wall clock.
 */
export interface Asked {
  now: number;
  at: number;
  deadAfterMs: number;
  wallClock: boolean;
}

/** A sign of life the main thread asks for. */
export interface Beat extends Asked {
  id: string;
  held: number;
  running: number;
}

/** A key written: its record and revision; null when the instance is no longer registered. */
export type Written = { record: KeptInstance; revision: number } | null;

/** An instance kept alive. */
interface Kept {
  record: KeptInstance;
  revision: number;
  /** The main thread's last sign of life (or its registration). */
  asked: Asked;
  /** When this key's last write was sent (monotonic). */
  wroteAt: number;
  /** The write under way: writes of one key go one at a time. */
  writing: Promise<unknown> | undefined;
  /** The timer of its next sign of life of its own. */
  timer: NodeJS.Timeout | undefined;
}

/** The process's monotonic clock, ms (one for all its threads). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/** The dead time a keeper believes for an instance. */
function deadTime(kept: Kept): number {
  return Math.max(MIN_DEAD_AFTER_MS, kept.asked.deadAfterMs);
}

/** The signs of life of one store's instances, on a connection of their own. */
export class LifeKeeper {
  private readonly kept = new Map<string, Kept>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: Publisher,
    private readonly kv: KV,
    private readonly bucket: string,
  ) {}

  /** Connects to the store's servers and opens its instances bucket. */
  static async open(settings: Settings): Promise<LifeKeeper> {
    const nc = await connectTo(settings, 'life');
    try {
      const bucket = `${settings.prefix}_instances`;
      const kv = await new Kvm(jetstream(nc, { timeout: settings.timeoutMs })).open(bucket);
      const js = new Publisher(nc, Math.min(settings.timeoutMs, ACK_TIMEOUT_MS));
      return new LifeKeeper(nc, js, kv, bucket);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw unavailable(err, 'opening its instances bucket for signs of life');
    }
  }

  /** Keeps an instance, its key at `revision`, alive. */
  keep(record: KeptInstance, revision: number, asked: Asked): void {
    this.stopKeeping(record.id);
    const kept: Kept = {
      record,
      revision,
      asked,
      wroteAt: asked.at,
      writing: undefined,
      timer: undefined,
    };
    this.kept.set(record.id, kept);
    this.arm(kept);
  }

  /** Writes a sign of life the main thread asks for. */
  beat(beat: Beat): Promise<Written> {
    const kept = this.kept.get(beat.id);
    if (!kept) return Promise.resolve(null);
    const { now, held, running, ...asked } = beat;
    kept.asked = { now, ...asked };
    const change = { lastSeenAt: now, beatAt: now, held, running };
    return this.serially(kept, () => this.write(kept, change));
  }

  /** Stops keeping an instance alive (it deregisters); resolves once no write of its key is under way. */
  async release(id: string): Promise<void> {
    const writing = this.kept.get(id)?.writing;
    this.stopKeeping(id);
    await writing?.catch(() => undefined);
  }

  /** Messages the keeper's connection has sent. */
  sent(): number {
    return this.nc.stats().outMsgs;
  }

  /** Stops keeping every instance and closes the connection. */
  async close(): Promise<void> {
    const writes = [...this.kept.values()].map((kept) => kept.writing);
    for (const id of [...this.kept.keys()]) this.stopKeeping(id);
    await Promise.allSettled(writes);
    this.js.stop();
    await this.nc.close().catch(() => undefined);
  }

  private stopKeeping(id: string): void {
    clearTimeout(this.kept.get(id)?.timer);
    this.kept.delete(id);
  }

  /** Sets the timer of the instance's next sign of life of its own (none for a test's clock, or a hung thread). */
  private arm(kept: Kept): void {
    clearTimeout(kept.timer);
    kept.timer = undefined;
    const { at, wallClock } = kept.asked;
    const dead = deadTime(kept);
    const due = kept.wroteAt + LATE_PART * dead;
    if (!wallClock || due >= at + HUNG_AFTER * dead || this.kept.get(kept.record.id) !== kept)
      return;
    kept.timer = setTimeout(() => this.showLife(kept), Math.max(0, due - monotonicMs()));
  }

  /** A sign of life of its own: the main thread's last instant moved on by the time since. */
  private showLife(kept: Kept): void {
    if (kept.writing) return; // a write under way re-arms when done
    const lastSeenAt = kept.asked.now + (monotonicMs() - kept.asked.at);
    void this.serially(kept, () =>
      this.write(kept, { lastSeenAt }).catch(() => {
        // Tried again a moment later; the main thread's own sign of life reports the failure.
        kept.wroteAt = monotonicMs() - LATE_PART * deadTime(kept) + RETRY_MS;
        return null;
      }),
    );
  }

  private serially<T>(kept: Kept, write: () => Promise<T>): Promise<T> {
    const next = (kept.writing ?? Promise.resolve()).catch(() => undefined).then(write);
    kept.writing = next;
    const done = () => {
      if (kept.writing !== next) return;
      kept.writing = undefined;
      this.arm(kept);
    };
    next.then(done, done);
    return next;
  }

  /** Writes a kept instance's record changed by `change` on its revision (see the module comment). */
  private async write(kept: Kept, change: Partial<KeptInstance>): Promise<Written> {
    const { id } = kept.record;
    for (let attempt = 0; attempt < 2 && this.kept.get(id) === kept; attempt++) {
      const record = { ...kept.record, ...change };
      kept.wroteAt = monotonicMs();
      const revision = await writeKey(this.js, {
        bucket: this.bucket,
        key: keyOf(id),
        bytes: encode(record),
        revision: kept.revision,
        doing: 'showing life',
        resendForMs: SIGN_OF_LIFE_RESEND_MS,
      });
      if (revision !== null) {
        Object.assign(kept, { record, revision });
        return { record, revision };
      }
      const current = await this.read(id);
      if (!current || current.value.dying || !sameRegistration(current.value, kept.record)) break;
      kept.revision = current.revision;
    }
    if (this.kept.get(id) === kept) this.stopKeeping(id);
    return null;
  }

  private async read(id: string): Promise<{ value: StoredInstance; revision: number } | null> {
    const entry = await this.kv.get(keyOf(id)).catch((err: unknown) => {
      throw unavailable(err, 'reading an instance');
    });
    if (!entry || entry.operation !== 'PUT') return null;
    return { value: entry.json<StoredInstance>(), revision: entry.revision };
  }
}
