import {
  connect,
  type ChannelModel,
  type ConfirmChannel,
  type Message,
  type Options,
} from 'amqplib';

/**
 * Longest time opening a connection (TCP, TLS and the AMQP handshake) may take
 * before its socket is destroyed. An attempt stops waiting earlier when its
 * signal aborts; this bound only keeps a broker that accepts TCP but never
 * answers from holding a socket open for good.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** One message to publish on a confirm channel. */
export interface AmqpMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  /** Publish options; `messageId` is required: it matches a returned message to its publish. */
  readonly options: Options.Publish & { messageId: string };
}

/**
 * What became of a published message:
 * - `acked`: the broker took it (for a mandatory message: routed to a queue);
 * - `returned`: the broker acked it but could not route it (mandatory, no queue bound);
 * - `nacked`: the broker refused it (an internal error of the queue);
 * - `channel-closed`: the broker closed the channel before confirming (a missing exchange, a
 *   refused permission: `error` says which); the connection itself is fine;
 * - `connection-lost`: the connection went before the confirm came.
 */
export type Confirmation =
  | { readonly kind: 'acked' }
  | { readonly kind: 'returned'; readonly replyCode: number; readonly replyText: string }
  | { readonly kind: 'nacked' }
  | { readonly kind: 'channel-closed'; readonly error: Error | undefined }
  | { readonly kind: 'connection-lost'; readonly error: Error | undefined };

/** What a channel needs to know of its connection: whether it went, and why. */
interface ConnectionState {
  lost: boolean;
  error: Error | undefined;
}

/**
 * A confirm channel of a pooled connection. It matches `basic.return` frames
 * to their publish by `messageId` (the broker sends the return before the
 * ack), and explains a missing ack by what closed the channel.
 */
export class ConfirmLink {
  /** Messages the broker returned, by messageId, until their ack arrives. */
  private readonly returned = new Map<string, Message>();
  private channelError: Error | undefined;
  /** True once the channel closed: the pool opens a new one for the next publish. */
  closed = false;

  constructor(
    private readonly channel: ConfirmChannel,
    private readonly connection: ConnectionState,
  ) {
    channel.on('return', (message: Message) => {
      const id: unknown = message.properties.messageId;
      if (typeof id === 'string') this.returned.set(id, message);
    });
    channel.on('error', (err: Error) => {
      this.channelError = err;
    });
    channel.on('close', () => {
      this.closed = true;
    });
  }

  /** Publishes `message` and resolves with the broker's answer; never rejects. */
  publish(message: AmqpMessage): Promise<Confirmation> {
    const { exchange, routingKey, content, options } = message;
    return new Promise<Confirmation>((resolve) => {
      // amqplib calls back from inside the event that decided (ack, nack, close),
      // before our own listeners of that event ran: decide once they have.
      const settle = (err: unknown) =>
        queueMicrotask(() => resolve(this.confirmation(options.messageId, err)));
      try {
        this.channel.publish(exchange, routingKey, content, options, settle);
      } catch (err) {
        this.returned.delete(options.messageId);
        resolve(
          this.closed ? this.closedConfirmation() : { kind: 'channel-closed', error: toError(err) },
        );
      }
    });
  }

  /** Closes the channel (its connection stays). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.channel.close().catch(() => undefined);
  }

  private confirmation(messageId: string, err: unknown): Confirmation {
    const returned = this.returned.get(messageId);
    this.returned.delete(messageId);
    if (err === null || err === undefined) {
      if (!returned) return { kind: 'acked' };
      // basic.return carries replyCode and replyText, which amqplib's types leave out
      const fields = returned.fields as unknown as Record<string, unknown>;
      return {
        kind: 'returned',
        replyCode: Number(fields['replyCode']),
        replyText: String(fields['replyText']),
      };
    }
    return this.closed ? this.closedConfirmation() : { kind: 'nacked' };
  }

  private closedConfirmation(): Confirmation {
    if (this.connection.lost || !this.channelError) {
      return { kind: 'connection-lost', error: this.connection.error };
    }
    return { kind: 'channel-closed', error: this.channelError };
  }
}

/** One pooled connection and its confirm channel, both opened lazily. */
interface Entry {
  readonly state: ConnectionState;
  readonly opened: Promise<ChannelModel>;
  /** The connection once open. */
  model: ChannelModel | undefined;
  /** Its confirm channel; a closed one is replaced at the next publish. */
  link: Promise<ConfirmLink> | undefined;
  /** Set by `close()`: a connection still opening is closed as soon as it opens. */
  abandoned: boolean;
}

/**
 * The AMQP connections of one executor: one connection and one confirm channel
 * per broker URL, opened on first use. A connection that closes or fails is
 * dropped, so the next publish opens a new one (after a broker restart or a
 * network fault); a channel the broker closed (a missing exchange) is replaced
 * on the same connection. `close()` closes them all.
 */
export class AmqpConnections {
  private readonly entries = new Map<string, Entry>();

  /**
   * The confirm channel for `url`, opening the connection and the channel when
   * needed. Rejects with amqplib's error when the broker cannot be reached.
   */
  async link(url: string): Promise<ConfirmLink> {
    const entry = this.entry(url);
    const model = await entry.opened;
    const pending = entry.link;
    if (pending) {
      const current = await pending.catch(() => undefined);
      if (current && !current.closed) return current;
      if (entry.link === pending) entry.link = undefined;
    }
    if (!entry.link) {
      entry.link = model
        .createConfirmChannel()
        .then((channel) => new ConfirmLink(channel, entry.state));
      entry.link.catch(() => undefined); // awaited below; never an unhandled rejection
    }
    return await entry.link;
  }

  /** Closes every connection; the pool can be used again afterwards. */
  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.allSettled(
      entries.map(async (entry) => {
        entry.abandoned = true;
        await entry.model?.close();
      }),
    );
  }

  private entry(url: string): Entry {
    const existing = this.entries.get(url);
    if (existing && !existing.state.lost) return existing;
    const state: ConnectionState = { lost: false, error: undefined };
    const entry: Entry = {
      state,
      opened: connect(url, { timeout: CONNECT_TIMEOUT_MS }).then(
        (model) => this.adopt(url, entry, model),
        (err: unknown) => {
          this.drop(url, entry, toError(err));
          throw err;
        },
      ),
      model: undefined,
      link: undefined,
      abandoned: false,
    };
    entry.opened.catch(() => undefined); // awaited by callers; never an unhandled rejection
    this.entries.set(url, entry);
    return entry;
  }

  /** Watches a connection that just opened; closes it when the pool was closed meanwhile. */
  private adopt(url: string, entry: Entry, model: ChannelModel): ChannelModel {
    entry.model = model;
    model.on('error', (err: Error) => {
      entry.state.error = err;
    });
    model.on('close', (err?: Error) => this.drop(url, entry, err ?? entry.state.error));
    if (entry.abandoned) void model.close().catch(() => undefined);
    return model;
  }

  private drop(url: string, entry: Entry, error: Error | undefined): void {
    entry.state.lost = true;
    entry.state.error ??= error;
    entry.link = undefined;
    if (this.entries.get(url) === entry) this.entries.delete(url);
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
