/**
 * An instance's key in the NATS store's instances bucket: its record, and
 * once it is declared dead the mark of its death. Written by the registry
 * (`registry.ts`) and by the keeper of signs of life (`life-keeper.ts`).
 */
import type { InstanceRecord } from '../instances.js';

/**
 * An instance's record as its keeper writes it: `beatAt`, the engine's own
 * last sign of life (`lastSeenAt` may be later: the keeper's, `life-keeper.ts`).
 */
export type KeptInstance = InstanceRecord & { beatAt?: number };

/**
 * An instance's key as the bucket holds it: its record, and once it is
 * declared dead, its death's instant, the death rule's bound, and a random id
 * of the declaring write (two instances declaring one death at one instant
 * write different bytes: each tells its own write, `key-write.ts`).
 */
export type StoredInstance = KeptInstance & {
  dying?: { at: number; ranBefore: number; writeId: string };
};

/** The instant the engine's self-fencing counts from: its own last sign of life. */
export function engineSeenAt(instance: KeptInstance): number {
  return instance.beatAt ?? instance.lastSeenAt;
}

/**
 * How long a sign of life of unknown outcome is sent again: past a lost
 * send's acknowledgement timeout (2 s) and the client's reconnection, within
 * the silence (`deadAfterMs`) that declares an instance dead.
 */
export const SIGN_OF_LIFE_RESEND_MS = 3_000;

/** True when two records are of one registration (not a new process registered under the id). */
export function sameRegistration(a: InstanceRecord, b: InstanceRecord): boolean {
  return a.startedAt === b.startedAt && a.pid === b.pid && a.host === b.host;
}
