/**
 * The session advisory locks that tell other instances this one is alive
 * (see `registry-sql.ts`): one dedicated connection per store, outside the
 * pool (a pooled connection is shared and replaced at will), holding one lock
 * per instance registered through the store. The server releases the locks
 * when the connection ends — the process died, or the connection was cut —
 * and other instances then declare the instance dead and void its leases.
 *
 * A lost connection is not re-established here: its locks are gone for
 * good, the instance is (or will be) declared dead, and it registers again,
 * taking a new lock on a new connection.
 */
import { randomInt } from 'node:crypto';
import type { Client } from 'pg';
import { INSTANCE_LOCK_CLASS } from './registry-sql.js';

/** Tries of a lock key before giving up (a key another instance holds is skipped). */
const KEY_TRIES = 8;

/** Holds advisory locks for the instances of one store. */
export class InstanceLocks {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  /** The lock key of each instance id, while its connection holds it. */
  private readonly keys = new Map<string, number>();

  constructor(private readonly newClient: () => Client) {}

  /**
   * Takes a fresh lock and returns its key (keys another session holds are
   * skipped). It is `id`'s once {@link settle}d; until then a lock `id` held
   * before stays held, so a registration that fails leaves it as it was.
   */
  async acquire(): Promise<number> {
    const client = await this.connected();
    for (let i = 0; i < KEY_TRIES; i++) {
      const key = randomInt(0, 2 ** 31);
      const { rows } = await client.query<{ locked: boolean }>({
        text: 'SELECT pg_try_advisory_lock($1::int, $2::int) AS locked',
        values: [INSTANCE_LOCK_CLASS, key],
      });
      if (rows[0]?.locked) return key;
    }
    throw new Error(`no free instance lock key after ${KEY_TRIES} tries`);
  }

  /** Makes `key` the lock of `id`, giving up the one it held before. */
  async settle(id: string, key: number): Promise<void> {
    const before = this.keys.get(id);
    this.keys.set(id, key);
    if (before !== undefined && before !== key) await this.unlock(before);
  }

  /** Gives up the lock of `id`, if held. */
  async release(id: string): Promise<void> {
    const key = this.keys.get(id);
    this.keys.delete(id);
    if (key !== undefined) await this.unlock(key);
  }

  /** Gives up a lock by its key. */
  async unlock(key: number): Promise<void> {
    await this.client
      ?.query({
        text: 'SELECT pg_advisory_unlock($1::int, $2::int)',
        values: [INSTANCE_LOCK_CLASS, key],
      })
      .catch(() => undefined);
  }

  /** Closes the connection: every lock it held is released. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    this.keys.clear();
    await client?.end().catch(() => undefined);
  }

  private async connected(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const client = this.newClient();
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.keys.clear();
      client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    this.client = client;
    return client;
  }
}
