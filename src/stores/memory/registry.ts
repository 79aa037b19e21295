import { ChimeError } from '../../errors.js';
import type {
  BeatResult,
  InstanceBeat,
  InstanceInfo,
  InstanceRecord,
  StoreRegistry,
} from '../instances.js';
import { mayHaveRunBefore, voidLease } from '../rules.js';
import { compareIds, copy, type MemoryState } from './state.js';

/** The memory store's registry of live instances. In one process, only silence tells a death. */
export class MemoryRegistry implements StoreRegistry {
  private readonly instances = new Map<string, InstanceRecord>();

  constructor(private readonly state: MemoryState) {}

  async instanceRegister(params: {
    instance: InstanceInfo;
    now: number;
    deadBefore: number;
  }): Promise<void> {
    const { instance, now } = params;
    const current = this.instances.get(instance.id);
    if (current && current.lastSeenAt >= params.deadBefore) {
      throw new ChimeError(
        'CHIME_ERR_INSTANCE_ID_TAKEN',
        `a live instance is registered as "${instance.id}" (last sign of life ${now - current.lastSeenAt} ms ago)`,
      );
    }
    if (current)
      this.declareDead(current, now, mayHaveRunBefore(current.lastSeenAt, now, params.deadBefore));
    this.instances.set(instance.id, { ...instance, lastSeenAt: now, held: 0, running: 0 });
  }

  async instanceBeat(beat: InstanceBeat): Promise<BeatResult> {
    const me = this.instances.get(beat.id);
    if (me) Object.assign(me, { lastSeenAt: beat.now, held: beat.held, running: beat.running });
    const declaredDead: string[] = [];
    for (const other of [...this.instances.values()]) {
      if (other.id === beat.id || other.lastSeenAt >= beat.deadBefore) continue;
      this.declareDead(
        other,
        beat.now,
        mayHaveRunBefore(other.lastSeenAt, beat.now, beat.deadBefore),
      );
      declaredDead.push(other.id);
    }
    const registered = me !== undefined;
    return { registered, live: await this.instancesList(), declaredDead, vouched: registered };
  }

  async instanceDeregister({ id, now }: { id: string; now: number }): Promise<void> {
    const instance = this.instances.get(id);
    if (instance) this.declareDead(instance, now, now);
  }

  async instancesList(): Promise<InstanceRecord[]> {
    return [...this.instances.values()].sort((a, b) => compareIds(a.id, b.id)).map(copy);
  }

  /** Removes an instance from the registry and voids its leases (rules.ts voidLease). */
  private declareDead(instance: InstanceRecord, now: number, ranBefore: number): void {
    this.instances.delete(instance.id);
    this.state.nextDue = undefined;
    for (const e of this.state.executions.values())
      if (e.leaseOwner === instance.id) voidLease(e, now, ranBefore);
  }
}
