/**
 * The NATS store's registry of live instances: one key per instance in the
 * instances bucket, mirrored from a KV watch. A sign of life is a
 * compare-and-set of the instance's own key on the revision it last wrote —
 * it fails once another instance declared it dead and deleted the key —
 * written by a thread of its own (`life-keeper.ts`), which also writes one
 * when the main thread's is late, so a busy process is not taken for dead. Death
 * is judged by the engine's clock (`lastSeenAt` against `deadBefore`), as on
 * the SQL stores; declaring one is a compare-and-set of its key marking it
 * dying (so a late sign of life wins), then the voiding of its leases, each in
 * its execution's key (rules.ts voidLease), then the delete of its key. A
 * death a failed void left unfinished stays marked in the bucket, and the
 * next sign of life of any instance finishes it with what the mark recorded.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ChimeError } from '../../errors.js';
import type {
  BeatResult,
  InstanceBeat,
  InstanceInfo,
  InstanceRecord,
  StoreRegistry,
} from '../instances.js';
import { mayHaveRunBefore, voidLease } from '../rules.js';
import { unavailable } from './connection.js';
import { encode, hasWork, keyOf, type Stored } from './documents.js';
import { inFlight } from './inserts.js';
import { engineSeenAt, SIGN_OF_LIFE_RESEND_MS, type StoredInstance } from './instance-key.js';
import { isConflict, writeKey } from './key-write.js';
import type { LifeLine } from './life-line.js';
import { Mirror } from './mirror.js';
import type { Parts } from './nats-store.js';

/**
 * How long a sign of life waits for a death it declared to finish: the voids
 * are job writes, which wait for the jobs stream's leader in an election
 * (4–9 s), and a sign of life held that long would let the declarer's own
 * silence grow toward its death. The rest goes on in the background and is
 * reported by a later sign of life.
 */
const DEATH_WAIT_MS = 1_000;

/** The registry part of the NATS store. */
export class NatsRegistry implements StoreRegistry {
  private mirror = new Mirror<StoredInstance>((record) => record);
  /** The deaths this process is finishing in the background ({@link finishLater}), by id. */
  private readonly finishing = new Map<string, Promise<boolean>>();
  /** Deaths this process finished in the background, to report at the next sign of life. */
  private readonly finished = new Set<string>();

  constructor(
    private readonly parts: () => Parts,
    /** The instances bucket's name. */
    private readonly bucket: string,
    /** The thread that writes this store's signs of life. */
    private readonly life: LifeLine,
  ) {}

  /** Starts the mirror of the instances bucket. */
  async start(parts: Pick<Parts, 'buckets'>, lastHeld: () => Promise<number>): Promise<void> {
    this.mirror = new Mirror<StoredInstance>((record) => record);
    await this.mirror.start(parts.buckets.instances, lastHeld);
  }

  /** Restarts the mirror's watch (see `Mirror.restart`). */
  restart(): void {
    this.mirror.restart();
  }

  /** Stops the mirror and the signs of life. */
  async stop(): Promise<void> {
    this.mirror.stop();
    await this.life.close();
  }

  async instanceRegister(params: {
    instance: InstanceInfo;
    now: number;
    deadBefore: number;
  }): Promise<void> {
    const { instance, now, deadBefore } = params;
    const record: InstanceRecord = { ...instance, lastSeenAt: now, held: 0, running: 0 };
    this.parts(); // open, or it throws (before the line opens a connection of its own)
    await this.life.open();
    for (;;) {
      const revision = await this.write(record, 0);
      if (revision !== null) return this.life.keep(record, revision, { now, deadBefore });
      const current = await this.read(instance.id);
      if (!current) continue;
      if (current.value.dying) {
        if ((await this.finishDeath(current.value)) === 'failed')
          throw unavailable(
            new Error('a void failed'),
            'finishing the death of its last registration',
          );
        continue;
      }
      if (current.value.lastSeenAt >= deadBefore)
        throw new ChimeError(
          'CHIME_ERR_INSTANCE_ID_TAKEN',
          `a live instance is registered as "${instance.id}" (last sign of life ${now - current.value.lastSeenAt} ms ago)`,
        );
      const ranBefore = mayHaveRunBefore(engineSeenAt(current.value), now, deadBefore);
      await this.declareDead(current.value, current.revision, now, ranBefore);
    }
  }

  async instanceBeat(beat: InstanceBeat): Promise<BeatResult> {
    const key = keyOf(beat.id);
    this.parts(); // open, or it throws
    const written = await this.life.beat(beat);
    if (written) this.mirror.written(key, written.record, written.revision);
    const deaths: Promise<boolean>[] = [];
    for (const [otherKey, other] of [...this.mirror.values()]) {
      if (otherKey !== key && other.dying) void this.finishLater(other);
      if (otherKey === key || other.dying || other.lastSeenAt >= beat.deadBefore) continue;
      const revision = this.mirror.get(otherKey)?.revision ?? 0;
      const ranBefore = mayHaveRunBefore(engineSeenAt(other), beat.now, beat.deadBefore);
      const dying = await this.markDying(other, revision, beat.now, ranBefore);
      if (dying) deaths.push(this.finishLater(dying, true));
    }
    if (deaths.length > 0) {
      const waited = new AbortController();
      const timeout = delay(DEATH_WAIT_MS, undefined, { signal: waited.signal }).catch(() => {});
      await Promise.race([Promise.all(deaths), timeout]);
      waited.abort();
    }
    const declaredDead = [...this.finished];
    this.finished.clear();
    const registered = written !== null;
    return { registered, live: await this.instancesList(), declaredDead, vouched: registered };
  }

  async instanceDeregister({ id, now }: { id: string; now: number }): Promise<void> {
    await this.life.release(id);
    // Read, not the mirror's: the thread's last sign of life may not have reached the watch yet.
    const current = await this.read(id);
    if (current) await this.declareDead(current.value, current.revision, now, now);
  }

  async instancesList(): Promise<InstanceRecord[]> {
    return [...this.mirror.values()]
      .filter(([, record]) => !record.dying)
      .map(([, { beatAt: _, ...record }]) => structuredClone(record))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Marks a silent instance dying (unless it showed life since `revision`), then finishes its death. */
  private async declareDead(
    instance: StoredInstance,
    revision: number,
    now: number,
    ranBefore: number,
  ): Promise<void> {
    const dying = await this.markDying(instance, revision, now, ranBefore);
    if (dying) await this.finishDeath(dying);
  }

  /** Marks a silent instance dying; its marked record, or null when it showed life since `revision`. */
  private async markDying(
    instance: StoredInstance,
    revision: number,
    now: number,
    ranBefore: number,
  ): Promise<StoredInstance | null> {
    const dying: StoredInstance = {
      ...instance,
      dying: { at: now, ranBefore, writeId: randomUUID() },
    };
    return (await this.write(dying, revision)) === null ? null : dying;
  }

  /**
   * Finishes a death in the background (a sign of life does not wait for job
   * writes, which wait for the jobs stream's leader in an election); once
   * finished, it is reported by the next sign of life — one this instance
   * declared (`declared`) whoever finished it, another's when this instance
   * did. True when it finished.
   */
  private finishLater(instance: StoredInstance, declared = false): Promise<boolean> {
    const running = this.finishing.get(instance.id);
    if (running) return running;
    const finishing = this.finishDeath(instance)
      .catch(() => 'failed' as const)
      .then((outcome) => {
        if (outcome === 'finished' || (declared && outcome === 'theirs'))
          this.finished.add(instance.id);
        return outcome !== 'failed';
      })
      .finally(() => this.finishing.delete(instance.id));
    this.finishing.set(instance.id, finishing);
    return finishing;
  }

  /**
   * Voids a dying instance's leases the mirror knows, then deletes its key:
   * `finished`, or `theirs` when another instance deleted it first; `failed`,
   * the key left marked, when a void or the delete failed (the next sign of
   * life tries again).
   */
  private async finishDeath(instance: StoredInstance): Promise<'finished' | 'theirs' | 'failed'> {
    const { js, docs } = this.parts();
    const { id, dying } = instance;
    if (!dying) return 'theirs';
    const held = [...docs.work.entries()].filter(
      ([, value]) => hasWork(value) && value.leaseOwner === id,
    );
    const voided = await docs.together(() =>
      inFlight(held, ([key]) =>
        docs
          .change<Stored, null>(key, (value) => {
            if (!hasWork(value) || value.leaseOwner !== id) return { answer: null };
            voidLease(value, dying.at, dying.ranBefore);
            return { answer: null, write: value };
          })
          .then(
            () => true,
            () => false,
          ),
      ),
    );
    if (voided.includes(false)) return 'failed';
    const key = keyOf(id);
    const revision = this.mirror.get(key)?.revision;
    if (revision === undefined) return 'theirs';
    try {
      const deleted = await writeKey(js, {
        bucket: this.bucket,
        key,
        bytes: null,
        revision,
        doing: 'declaring an instance dead',
        resendForMs: SIGN_OF_LIFE_RESEND_MS,
      });
      // null: the key moved, another instance finished this death first.
      if (deleted === null) return 'theirs';
      this.mirror.deleted(key, deleted);
      return 'finished';
    } catch {
      return 'failed';
    }
  }

  /**
   * Writes an instance's record on `revision` (0: a create); its new
   * revision, or null when its key moved. A write is sent again for a few
   * seconds while its outcome is unknown, each send waiting at most 2 s: one
   * sent to a server lost meanwhile goes again through the one the client
   * reconnects to, instead of failing after `timeoutMs` (`key-write.ts`).
   */
  private async write(record: StoredInstance, revision: number): Promise<number | null> {
    const { buckets, js } = this.parts();
    const key = keyOf(record.id);
    try {
      const bytes = encode(record);
      const next =
        revision === 0
          ? await buckets.instances.create(key, bytes)
          : await writeKey(js, {
              bucket: this.bucket,
              key,
              bytes,
              revision,
              doing: 'writing an instance',
              resendForMs: SIGN_OF_LIFE_RESEND_MS,
            });
      if (next === null) return null;
      this.mirror.written(key, record, next);
      return next;
    } catch (err) {
      if (isConflict(err)) return null;
      throw unavailable(err, 'writing an instance');
    }
  }

  private async read(id: string): Promise<{ value: StoredInstance; revision: number } | null> {
    const { buckets } = this.parts();
    const entry = await buckets.instances.get(keyOf(id)).catch((err: unknown) => {
      throw unavailable(err, 'reading an instance');
    });
    if (!entry || entry.operation !== 'PUT') return null;
    const value = entry.json<StoredInstance>();
    this.mirror.written(keyOf(id), value, entry.revision);
    return { value, revision: entry.revision };
  }
}
