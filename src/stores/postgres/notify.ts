/**
 * The Postgres store's LISTEN client: one dedicated connection per store that
 * LISTENs on the schema's channel and hands every notification's
 * `{ dueAt }` to the store's listeners. It is not a pool connection: a pooled
 * client would lose its LISTEN when the pool replaced it.
 *
 * When the connection drops (the database restarted, the backend was
 * terminated, the network cut), it reconnects with exponential backoff and
 * jitter. Notifications sent while it was away are lost, so every time it
 * starts listening — the first time and after each reconnect — it announces a
 * change due at 0 ("something may be due now: look"), which costs one extra
 * planning pass and misses nothing.
 */
import type { Client, Notification } from 'pg';
import type { StoreChange } from '../store.js';
import { quoteIdentifier } from './identifiers.js';

/** Options of {@link ChangeListener}. */
export interface ChangeListenerOptions {
  /** The channel to LISTEN on; a plain identifier (it passes the validating quoter). */
  channel: string;
  /** Makes a new, unconnected client; called for the first connection and for each reconnect. */
  newClient: () => Client;
  /** Receives every change, and `{ dueAt: 0 }` whenever listening (re)starts. */
  onChange: (change: StoreChange) => void;
  /** First reconnect delay. @defaultValue 100 */
  minDelayMs?: number;
  /** Longest reconnect delay. @defaultValue 5000 */
  maxDelayMs?: number;
}

/** A change that says "look now": announced whenever listening (re)starts. */
const RESYNC: StoreChange = { dueAt: 0 };

/** Keeps one connection LISTENing on a channel, reconnecting after faults, until stopped. */
export class ChangeListener {
  private readonly listen: string;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private running = false;

  constructor(private readonly options: ChangeListenerOptions) {
    this.listen = `LISTEN ${quoteIdentifier(options.channel, '/channel')}`;
    this.minDelayMs = options.minDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
  }

  /** Connects and starts listening (in the background; faults are retried, never thrown). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  /** Stops listening and closes the connection. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    if (!this.running) return;
    const client = this.options.newClient();
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => this.deliver(message));
    try {
      await client.connect();
      await client.query(this.listen);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return; // stopped or lost meanwhile
    this.failures = 0;
    this.emit(RESYNC);
  }

  /** The connection failed or ended: drop it, and reconnect unless stopped. */
  private lost(client: Client, _cause?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.connect(), this.nextDelay());
    this.timer.unref();
  }

  /** Exponential backoff with jitter: half to all of min × 2^failures, at most max. */
  private nextDelay(): number {
    const base = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return Math.round(base * (0.5 + Math.random() / 2));
  }

  private deliver(message: Notification): void {
    if (message.channel !== this.options.channel) return;
    const change = parseChange(message.payload);
    if (change) this.emit(change);
  }

  private emit(change: StoreChange): void {
    try {
      this.options.onChange({ ...change });
    } catch {
      // A listener's fault must not take the connection down; the store isolates listeners.
    }
  }
}

/** The `{ dueAt }` of a notification's payload, or undefined when it is not one. */
export function parseChange(payload: string | undefined): StoreChange | undefined {
  if (payload === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const dueAt: unknown = (parsed as Record<string, unknown>)['dueAt'];
    return typeof dueAt === 'number' && Number.isFinite(dueAt) ? { dueAt } : undefined;
  } catch {
    return undefined;
  }
}
