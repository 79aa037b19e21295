/**
 * The registry part of the store contract: the live instances of one store,
 * their signs of life, and the death rule.
 *
 * Every instance registers at start, shows a sign of life every heartbeat
 * (one cheap write that also answers who else is alive), and deregisters at a
 * clean stop. An instance is dead when it stopped showing life before
 * `deadBefore`, or when its store knows it is gone (Postgres: the session
 * advisory lock its connection held was released, which the server does the
 * moment the process dies; SQLite: its pid no longer exists on this host, same
 * boot). Whichever instance sees a death first declares it, in one atomic
 * step: the dead instance leaves the registry and its leases are void at once
 * (see {@link StoreRegistry.instanceBeat}).
 */

/** What an instance says of itself when it registers and at each sign of life. */
export interface InstanceInfo {
  /** Its instance id (the owner name of its leases). */
  id: string;
  host: string;
  pid: number;
  /** The chime version it runs. */
  version: string;
  /** When it started (engine clock ms). */
  startedAt: number;
  /** Attempts it runs at once (its concurrency). */
  capacity: number;
}

/** A registered instance, as the registry keeps it. */
export interface InstanceRecord extends InstanceInfo {
  /** Its last sign of life (its own engine clock, ms). */
  lastSeenAt: number;
  /** Executions it held at its last sign of life (claimed, queued, running). */
  held: number;
  /** Attempts it was running at its last sign of life. */
  running: number;
}

/** One sign of life, with what the instance holds. */
export interface InstanceBeat {
  id: string;
  now: number;
  held: number;
  running: number;
  /** Instances silent since before this instant are dead. */
  deadBefore: number;
}

/** What a sign of life answers. */
export interface BeatResult {
  /**
   * False when this instance is no longer registered: another declared it
   * dead (it was silent, or its store lost sight of it) and voided its
   * leases. It must drop every lease it holds and register again.
   */
  registered: boolean;
  /** The live instances after this beat, by id (this one included while registered). */
  live: InstanceRecord[];
  /**
   * The instances whose death this instance finished since its last beat
   * (their leases are void): those this beat declared dead, and on a store
   * that finishes a death in the background (NATS), earlier ones finished since.
   */
  declaredDead: string[];
  /**
   * False when the store cannot vouch, right now, that this registered
   * instance is alive to the others (Postgres: its lock is not held while
   * its connection is re-established): it must start nothing until a beat vouches.
   */
  vouched: boolean;
}

/**
 * A share of the due work. Every job falls into one of {@link SHARDS} shards
 * by its id (`shardOf` in `rules.ts`, which every store computes alike); an
 * instance plans and claims the work of the shards `[from, to)` ahead of its
 * instant, and any work that is due by `othersBefore` whatever its shard — the
 * fallback that keeps work of a share whose owner is gone, or slow, from
 * waiting.
 */
export interface Share {
  from: number;
  to: number;
  othersBefore: number;
}

/** The number of shards the due work is split into (see {@link Share}). */
export const SHARDS = 65_536;

/** The registry methods every store implements. */
export interface StoreRegistry {
  /**
   * Registers an instance. An earlier registration under the same id is
   * replaced when it is dead by the rule of the module comment (its leases
   * are voided, as when a beat declares a death); a live one is not.
   * @throws ChimeError `CHIME_ERR_INSTANCE_ID_TAKEN` when a live instance has the id.
   */
  instanceRegister(params: {
    instance: InstanceInfo;
    now: number;
    deadBefore: number;
  }): Promise<void>;
  /**
   * A sign of life: records `now`, `held` and `running` for the instance,
   * declares dead every other instance the death rule finds, and answers the
   * live set. Declaring a death is one atomic step: the dead instance leaves
   * the registry, and each execution it leased is voided as `rules.ts`
   * voidLease says, with `ranBefore` from `mayHaveRunBefore` (its last sign
   * of life, `now` and `deadBefore`): what it cannot have started is
   * released (claimable at once, no attempt counted); what it may have
   * started, or did, is marked running with an expired lease for
   * `executionsTakeOver`, which hands the abandoned attempt to the engine.
   */
  instanceBeat(params: InstanceBeat): Promise<BeatResult>;
  /** Removes an instance (a clean stop), voiding any lease it still holds. */
  instanceDeregister(params: { id: string; now: number }): Promise<void>;
  /** The registered instances, by id. */
  instancesList(): Promise<InstanceRecord[]>;
  /**
   * Whether this process can vouch, right now, for an instance registered
   * through it (answered from memory; absent: always). Postgres: false while
   * the instance's lock is lost and not yet taken again — the others may be
   * about to declare it dead, so it must start nothing.
   */
  instanceVouched?(params: { id: string }): boolean;
}
