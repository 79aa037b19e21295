/**
 * The NATS store's registry of live instances: one key per instance in the
 * instances bucket, mirrored from a KV watch. A sign of life is a
 * compare-and-set of the instance's own key on the revision it last wrote —
 * it fails once another instance declared it dead and deleted the key. Death
 * is judged by the engine's clock (`lastSeenAt` against `deadBefore`), as on
 * the SQL stores; declaring one is a compare-and-set delete of its key (so a
 * late sign of life wins), then the voiding of its leases, each in its
 * execution's key (rules.ts voidLease).
 */
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
import { isConflict, writeKey } from './key-write.js';
import { Mirror } from './mirror.js';
import type { Parts } from './nats-store.js';

/**
 * How long a sign of life of unknown outcome is sent again: past a lost
 * send's acknowledgement timeout (2 s) and the client's reconnection, within
 * the silence (`deadAfterMs`) that declares an instance dead.
 */
const SIGN_OF_LIFE_RESEND_MS = 3_000;

/** The registry part of the NATS store. */
export class NatsRegistry implements StoreRegistry {
  private mirror = new Mirror<InstanceRecord>((record) => record);

  constructor(
    private readonly parts: () => Parts,
    /** The instances bucket's name. */
    private readonly bucket: string,
  ) {}

  /** Starts the mirror of the instances bucket. */
  async start(parts: Pick<Parts, 'buckets'>, lastHeld: () => Promise<number>): Promise<void> {
    this.mirror = new Mirror<InstanceRecord>((record) => record);
    await this.mirror.start(parts.buckets.instances, lastHeld);
  }

  /** Restarts the mirror's watch (see `Mirror.restart`). */
  restart(): void {
    this.mirror.restart();
  }

  /** Stops the mirror. */
  stop(): void {
    this.mirror.stop();
  }

  async instanceRegister(params: {
    instance: InstanceInfo;
    now: number;
    deadBefore: number;
  }): Promise<void> {
    const { instance, now, deadBefore } = params;
    const record: InstanceRecord = { ...instance, lastSeenAt: now, held: 0, running: 0 };
    for (;;) {
      if (await this.write(record, 0)) return;
      const current = await this.read(instance.id);
      if (!current) continue;
      if (current.value.lastSeenAt >= deadBefore)
        throw new ChimeError(
          'CHIME_ERR_INSTANCE_ID_TAKEN',
          `a live instance is registered as "${instance.id}" (last sign of life ${now - current.value.lastSeenAt} ms ago)`,
        );
      const ranBefore = mayHaveRunBefore(current.value.lastSeenAt, now, deadBefore);
      await this.declareDead(current.value, current.revision, now, ranBefore);
    }
  }

  async instanceBeat(beat: InstanceBeat): Promise<BeatResult> {
    const key = keyOf(beat.id);
    const registered = await this.showLife(beat);
    const declaredDead: string[] = [];
    for (const [otherKey, other] of [...this.mirror.values()]) {
      if (otherKey === key || other.lastSeenAt >= beat.deadBefore) continue;
      const revision = this.mirror.get(otherKey)?.revision ?? 0;
      const ranBefore = mayHaveRunBefore(other.lastSeenAt, beat.now, beat.deadBefore);
      if (await this.declareDead(other, revision, beat.now, ranBefore)) declaredDead.push(other.id);
    }
    return { registered, live: await this.instancesList(), declaredDead, vouched: registered };
  }

  /**
   * Writes the instance's sign of life on its key's revision; false when the
   * key is gone or another registration holds it. A key moved by this same
   * registration (an earlier sign of life applied while its answer was lost,
   * unknown to the mirror) is written again on its revision: taken for a
   * death, the instance would drop every lease it holds, and its fires would
   * wait for them to expire.
   */
  private async showLife(beat: InstanceBeat): Promise<boolean> {
    let me = this.mirror.get(keyOf(beat.id)) ?? (await this.read(beat.id)) ?? undefined;
    for (let attempt = 0; attempt < 2 && me; attempt++) {
      const record = { ...me.value, lastSeenAt: beat.now, held: beat.held, running: beat.running };
      if (await this.write(record, me.revision)) return true;
      const current = await this.read(beat.id);
      me = current && sameRegistration(current.value, me.value) ? current : undefined;
    }
    return false;
  }

  async instanceDeregister({ id, now }: { id: string; now: number }): Promise<void> {
    const current = this.mirror.get(keyOf(id)) ?? (await this.read(id));
    if (current) await this.declareDead(current.value, current.revision, now, now);
  }

  async instancesList(): Promise<InstanceRecord[]> {
    return [...this.mirror.values()]
      .map(([, record]) => structuredClone(record))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Deletes a silent instance's key (unless it showed life since `revision`), then voids its leases. */
  private async declareDead(
    instance: InstanceRecord,
    revision: number,
    now: number,
    ranBefore: number,
  ): Promise<boolean> {
    const { js, docs } = this.parts();
    const key = keyOf(instance.id);
    const deleted = await writeKey(js, {
      bucket: this.bucket,
      key,
      bytes: null,
      revision,
      doing: 'declaring an instance dead',
      resendForMs: SIGN_OF_LIFE_RESEND_MS,
    });
    if (deleted === null) return false;
    this.mirror.deleted(key, deleted);
    const held = [...docs.work.entries()].filter(
      ([, value]) => hasWork(value) && value.leaseOwner === instance.id,
    );
    await docs.together(() =>
      inFlight(held, ([key]) =>
        docs.change<Stored, null>(key, (value) => {
          if (!hasWork(value) || value.leaseOwner !== instance.id) return { answer: null };
          voidLease(value, now, ranBefore);
          return { answer: null, write: value };
        }),
      ),
    );
    return true;
  }

  /**
   * Writes an instance's record on `revision` (0: a create); false when its
   * key moved. A sign of life is sent again for a few seconds while its
   * outcome is unknown, each send waiting at most 2 s: one sent to a server
   * lost meanwhile goes again through the one the client reconnects to,
   * instead of failing after `timeoutMs` — by then its instance could be
   * declared dead (`key-write.ts`).
   */
  private async write(record: InstanceRecord, revision: number): Promise<boolean> {
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
      if (next === null) return false;
      this.mirror.written(key, record, next);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw unavailable(err, 'writing an instance');
    }
  }

  private async read(id: string): Promise<{ value: InstanceRecord; revision: number } | null> {
    const { buckets } = this.parts();
    const entry = await buckets.instances.get(keyOf(id)).catch((err: unknown) => {
      throw unavailable(err, 'reading an instance');
    });
    if (!entry || entry.operation !== 'PUT') return null;
    const value = entry.json<InstanceRecord>();
    this.mirror.written(keyOf(id), value, entry.revision);
    return { value, revision: entry.revision };
  }
}

/** True when two records are of one registration (not a new process registered under the id). */
function sameRegistration(a: InstanceRecord, b: InstanceRecord): boolean {
  return a.startedAt === b.startedAt && a.pid === b.pid && a.host === b.host;
}
