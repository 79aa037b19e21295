/**
 * The keeper of a NATS store's signs of life, run in a thread of its own on
 * a connection of its own (`life-thread.ts`): it writes every sign of life of
 * the instances registered through its store, those the main thread asks for
 * and, when the main thread's is late, one of its own. So a process that
 * lives keeps its registration however busy its main thread is — catching up
 * the backlog of an election, say — as a Postgres session keeps its advisory
 * lock; a process killed or stopped loses it after `deadAfterMs`, and a main
 * thread silent for {@link HUNG_AFTER} dead times is taken for hung (its
 * keeper stops, and the others declare its instance dead). The dead time is
 * the engine's, as its signs of life tell it (`now − deadBefore`, the least of
 * the last few: its own silences only lengthen it).
 *
 * A sign of life of its own carries the main thread's last instant moved on
 * by the wall-clock time since (the engine's clock is the wall clock but in
 * tests). The keeper is the only writer of the keys it keeps: a write that
 * finds its key moved by another is a death (or a new registration under
 * the id), unless the key holds this registration, not dying (an earlier
 * write of its own applied while its answer was lost): then it writes again.
 */
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { InstanceRecord } from '../instances.js';
import { connectTo, type Settings, unavailable } from './connection.js';
import { encode, keyOf } from './documents.js';
import { SIGN_OF_LIFE_RESEND_MS, sameRegistration, type StoredInstance } from './instance-key.js';
import { ACK_TIMEOUT_MS, writeKey } from './key-write.js';
import { Publisher } from './publisher.js';

/** Dead times a main thread may be silent before its keeper takes it for hung. */
export const HUNG_AFTER = 6;
/** A keeper shows life once a third of the dead time passed since its key's last write. */
const LATE_PART = 1 / 3;
/** How many of the main thread's last signs of life tell its dead time (the least). */
const DEAD_TIMES_KEPT = 4;
/** The least dead time a keeper believes (a sign of life may name any bound). */
const MIN_DEAD_AFTER_MS = 100;

/**
 * The main thread's sign of life, or registration: its engine instant, the
 * wall clock then (`at`), and its dead time (`now − deadBefore`).
 */
export interface Asked {
  now: number;
  at: number;
  deadAfterMs: number;
}

/** A sign of life the main thread asks for. */
export interface Beat extends Asked {
  id: string;
  held: number;
  running: number;
}

/** A key written: its record and revision; null when the instance is no longer registered. */
export type Written = { record: InstanceRecord; revision: number } | null;

/** An instance kept alive. */
interface Kept {
  record: InstanceRecord;
  revision: number;
  /** The main thread's last sign of life (or its registration). */
  asked: Asked;
  /** The dead times of its last signs of life. */
  deadTimes: number[];
  /** When this key was last written (wall clock). */
  wroteAt: number;
  /** The write under way: writes of one key go one at a time. */
  writing: Promise<unknown> | undefined;
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

  /** Keeps an instance registered at `now` (wall clock `at`) alive, its key at `revision`. */
  keep(record: InstanceRecord, revision: number, asked: Asked): void {
    this.kept.set(record.id, {
      record,
      revision,
      asked,
      deadTimes: [asked.deadAfterMs],
      wroteAt: asked.at,
      writing: undefined,
    });
  }

  /** Writes a sign of life the main thread asks for. */
  beat(beat: Beat): Promise<Written> {
    const kept = this.kept.get(beat.id);
    if (!kept) return Promise.resolve(null);
    const { now, at, deadAfterMs, held, running } = beat;
    kept.deadTimes = [...kept.deadTimes, deadAfterMs].slice(-DEAD_TIMES_KEPT);
    kept.asked = { now, at, deadAfterMs };
    return this.serially(kept, () => this.write(kept, { lastSeenAt: now, held, running }));
  }

  /** Stops keeping an instance alive (it deregisters); resolves once no write of its key is under way. */
  async release(id: string): Promise<void> {
    const kept = this.kept.get(id);
    this.kept.delete(id);
    await kept?.writing;
  }

  /**
   * Shows life for every instance whose main thread's sign of life is late,
   * unless that thread seems hung. Called every few hundred ms.
   */
  tick(wall = Date.now()): void {
    for (const kept of this.kept.values()) {
      const deadAfterMs = Math.max(MIN_DEAD_AFTER_MS, Math.min(...kept.deadTimes));
      const late = wall - kept.wroteAt >= LATE_PART * deadAfterMs;
      const hung = wall - kept.asked.at >= HUNG_AFTER * deadAfterMs;
      if (kept.writing || !late || hung) continue;
      const lastSeenAt = kept.asked.now + (wall - kept.asked.at);
      // A failure is tried again at the next tick; the main thread's own sign of life reports it.
      this.serially(kept, () => this.write(kept, { lastSeenAt })).catch(() => undefined);
    }
  }

  /** Messages the keeper's connection has sent. */
  sent(): number {
    return this.nc.stats().outMsgs;
  }

  /** Stops keeping every instance and closes the connection. */
  async close(): Promise<void> {
    const writes = [...this.kept.values()].map((kept) => kept.writing);
    this.kept.clear();
    await Promise.allSettled(writes);
    this.js.stop();
    await this.nc.close().catch(() => undefined);
  }

  private serially<T>(kept: Kept, write: () => Promise<T>): Promise<T> {
    const next = (kept.writing ?? Promise.resolve()).catch(() => undefined).then(write);
    kept.writing = next;
    const done = () => {
      if (kept.writing === next) kept.writing = undefined;
    };
    next.then(done, done);
    return next;
  }

  /** Writes a kept instance's record changed by `change` on its revision (see the module comment). */
  private async write(kept: Kept, change: Partial<InstanceRecord>): Promise<Written> {
    const { id } = kept.record;
    for (let attempt = 0; attempt < 2 && this.kept.get(id) === kept; attempt++) {
      const record = { ...kept.record, ...change };
      const revision = await writeKey(this.js, {
        bucket: this.bucket,
        key: keyOf(id),
        bytes: encode(record),
        revision: kept.revision,
        doing: 'showing life',
        resendForMs: SIGN_OF_LIFE_RESEND_MS,
      });
      if (revision !== null) {
        Object.assign(kept, { record, revision, wroteAt: Date.now() });
        return { record, revision };
      }
      const current = await this.read(id);
      if (!current || current.value.dying || !sameRegistration(current.value, kept.record)) break;
      kept.revision = current.revision;
    }
    if (this.kept.get(id) === kept) this.kept.delete(id);
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
