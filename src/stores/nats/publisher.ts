/**
 * JetStream publishes answered on one subscription of the store's own. The
 * client's `js.publish` is a request: per publish it registers a reply in its
 * mux, arms a timer and, once answered, builds an error with a stack trace to
 * cancel what it had armed (`RequestOne.cancel` in `@nats-io/nats-core`):
 * ~60 µs of a drain's ~770 µs per fire. Here every publish names a reply
 * subject under one inbox, answers are matched by that subject's last token,
 * and one sweep fails those unanswered in time. The answer is read as the
 * client reads it: a `PubAck`, or a `JetStreamApiError` with the server's
 * codes (a conflict is still `isConflict`, a refusal `isRefused`).
 */
import {
  createInbox,
  headers,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  JetStreamApiError,
  jetstreamManager,
  type ApiError,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';

/** The options of a publish the store makes (a subset of the client's). */
export interface PublishOptions {
  msgID: string;
  expect?: { lastSubjectSequence: number };
  headers?: MsgHdrs;
}

/** What a key's write needs of a JetStream client: `JetStreamClient` has it too. */
export interface Acks {
  publish(subject: string, data: Uint8Array, options: PublishOptions): Promise<PubAck>;
  jetstreamManager(checkAPI?: boolean): Promise<JetStreamManager>;
}

/** How often unanswered publishes are checked for their deadline. */
const SWEEP_MS = 100;

interface Pending {
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
  deadline: number;
}

/** JetStream publishes of one connection, each failing after `timeoutMs` unanswered. */
export class Publisher implements Acks {
  private readonly inbox = createInbox();
  /** Unanswered publishes by reply token, oldest first (one timeout: deadlines in order). */
  private readonly pending = new Map<string, Pending>();
  private readonly subscription: Subscription;
  private next = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private manager: Promise<JetStreamManager> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.subscription = nc.subscribe(`${this.inbox}.*`, {
      callback: (err, msg) => {
        if (err !== null) return;
        const token = msg.subject.slice(this.inbox.length + 1);
        const pending = this.pending.get(token);
        if (pending === undefined) return;
        this.pending.delete(token);
        const answered = answerOf(msg.data, msg.headers);
        if (answered instanceof Error) pending.reject(answered);
        else pending.resolve(answered);
      },
    });
    void nc.closed().then(() => this.failAll(new Error('the connection is closed')));
  }

  /** Publishes to a stream's subject; its acknowledgement. */
  publish(subject: string, data: Uint8Array, options: PublishOptions): Promise<PubAck> {
    return new Promise<PubAck>((resolve, reject) => {
      const token = String(this.next++);
      const h = options.headers ?? headers();
      h.set('Nats-Msg-Id', options.msgID);
      if (options.expect !== undefined)
        h.set('Nats-Expected-Last-Subject-Sequence', String(options.expect.lastSubjectSequence));
      try {
        this.nc.publish(subject, data, { reply: `${this.inbox}.${token}`, headers: h });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.pending.set(token, { resolve, reject, deadline: performance.now() + this.timeoutMs });
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    });
  }

  /** The connection's JetStream manager (reads a stream's message). */
  jetstreamManager(): Promise<JetStreamManager> {
    this.manager ??= jetstreamManager(this.nc, { timeout: this.timeoutMs });
    return this.manager;
  }

  /** Stops answering: what is unanswered fails. */
  stop(): void {
    this.subscription.unsubscribe();
    this.failAll(new Error('the store is closed'));
  }

  private sweep(): void {
    const now = performance.now();
    for (const [token, pending] of this.pending) {
      if (pending.deadline > now) break;
      this.pending.delete(token);
      pending.reject(new Error('timeout: no acknowledgement in time'));
    }
    if (this.pending.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private failAll(err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

const decoder = new TextDecoder();

/** A JetStream publish's answer: its acknowledgement, or the error it names. */
function answerOf(data: Uint8Array, h: MsgHdrs | undefined): PubAck | Error {
  // A status without a body: 503 when the stream's subject has no responder (no stream, no leader).
  if (h?.hasError === true || data.length === 0)
    return new Error(`no acknowledgement: ${h?.code ?? 0} ${h?.description ?? ''}`.trim());
  const answer = JSON.parse(decoder.decode(data)) as Partial<PubAck> & { error?: ApiError };
  if (answer.error !== undefined) return new JetStreamApiError(answer.error);
  if (typeof answer.stream !== 'string' || typeof answer.seq !== 'number')
    return new Error('invalid acknowledgement');
  return { stream: answer.stream, seq: answer.seq, duplicate: answer.duplicate === true };
}
