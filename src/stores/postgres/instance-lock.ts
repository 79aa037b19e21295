/**
 * The session advisory locks that tell other instances this one is alive
 * (see `registry-sql.ts`): one dedicated connection per store, outside the
 * pool (a pooled connection is shared and replaced at will), holding one lock
 * per instance registered through the store. The server releases the locks
 * when the connection ends: when the process dies, and also when only the
 * connection is cut (the database restarted, the backend was terminated).
 *
 * A cut connection is re-established at once, and its locks taken again under
 * the same keys, retrying every {@link RETRY_MS} while the database is away.
 * Other instances give a free lock a grace before they declare its instance
 * dead (`registry.ts`), which covers the reconnection; a process that died
 * never takes its lock again.
 */
import { randomInt } from 'node:crypto';
import type { Client } from 'pg';
import { INSTANCE_LOCK_CLASS } from './registry-sql.js';

/** Tries of a lock key before giving up (a key another instance holds is skipped). */
const KEY_TRIES = 8;

/** Pause between two tries to reconnect a cut lock connection. */
const RETRY_MS = 100;

/** Holds advisory locks for the instances of one store. */
export class InstanceLocks {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  /** The lock key of each instance id: held, or to take again once reconnected. */
  private readonly keys = new Map<string, number>();
  /** The ids whose lock the connection holds right now. */
  private readonly held = new Set<string>();

  constructor(private readonly newClient: () => Client) {}

  /**
   * Takes a fresh lock and returns its key (keys another session holds are
   * skipped). It is `id`'s once {@link settle}d; until then a lock `id` held
   * before stays held, so a registration that fails leaves it as it was.
   */
  async acquire(): Promise<number> {
    this.closed = false;
    const client = await this.connected();
    for (let i = 0; i < KEY_TRIES; i++) {
      const key = randomInt(0, 2 ** 31);
      if (await tryLock(client, key)) return key;
    }
    throw new Error(`no free instance lock key after ${KEY_TRIES} tries`);
  }

  /** Makes `key` the lock of `id`, giving up the one it held before. */
  async settle(id: string, key: number): Promise<void> {
    const before = this.keys.get(id);
    this.keys.set(id, key);
    this.held.add(id);
    if (before !== undefined && before !== key) await this.unlock(before);
  }

  /** Whether the connection holds the lock of `id` right now. */
  holds(id: string): boolean {
    return this.held.has(id);
  }

  /** Gives up the lock of `id`, if held. */
  async release(id: string): Promise<void> {
    const key = this.keys.get(id);
    this.keys.delete(id);
    this.held.delete(id);
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
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    this.keys.clear();
    this.held.clear();
    await client?.end().catch(() => undefined);
  }

  private async connected(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const client = this.newClient();
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
    } catch (err) {
      client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }

  /** The connection was cut: its locks are gone; reconnect and take them again. */
  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.held.clear();
    client.end().catch(() => undefined);
    this.relock();
  }

  private relock(): void {
    if (this.closed || this.keys.size === 0) return;
    this.connected()
      .then(async (client) => {
        for (const [id, key] of [...this.keys]) {
          if (await tryLock(client, key)) {
            if (this.keys.get(id) === key) this.held.add(id);
          } else if (this.keys.get(id) === key) {
            // Someone else holds it: the instance will be declared dead and register anew.
            this.keys.delete(id);
          }
        }
      })
      .catch(() => {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.relock(), RETRY_MS);
        this.retry.unref();
      });
  }
}

/** Takes the instance lock `key` on `client` unless another session holds it. */
async function tryLock(client: Client, key: number): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>({
    text: 'SELECT pg_try_advisory_lock($1::int, $2::int) AS locked',
    values: [INSTANCE_LOCK_CLASS, key],
  });
  return rows[0]?.locked === true;
}
