/**
 * One compare-and-set write of a KV key, sent again while its outcome is
 * unknown. The write names its revision twice: as the expected last sequence
 * of the key, and in its message id (`<key>@<revision>`). On a NATS cluster
 * before 2.9.21 the leader checks the expected sequence against what it has
 * applied, so two writes in flight from one revision can both pass
 * (nats-server#4320); the message id is staged by the leader before it
 * proposes, so the second is refused as a duplicate. A send lost with its
 * server (or its acknowledgement) is sent again with the same id: it is then
 * written, or answered as the duplicate of the one that was — this process's
 * own write when the stored bytes are its own (a delete, which has no bytes,
 * names its write in a header).
 */
import { randomUUID } from 'node:crypto';
import { JetStreamApiError, type PubAck } from '@nats-io/jetstream';
import { Empty, headers } from '@nats-io/transport-node';
import { unavailable } from './connection.js';
import type { Acks, PublishOptions } from './publisher.js';

/**
 * How long a write whose outcome is unknown (a lost server, a stream without
 * a leader, a timeout) is sent again before it fails: longer than a JetStream
 * stream's leader election (its followers wait 4–9 s for a lost leader before
 * they campaign; 13 s seen under load). A write given up on may still be
 * applied.
 */
const UNKNOWN_OUTCOME_MS = 20_000;
/**
 * Longest wait for the acknowledgement of one send of a write (the store's
 * `timeoutMs` when shorter; the JetStream client's timeout): a send to a
 * server lost meanwhile is answered by none, and is sent again after this
 * rather than after `timeoutMs`.
 */
export const ACK_TIMEOUT_MS = 2_000;
/** Pause before a write of unknown outcome is sent again. */
const RESEND_AFTER_MS = 250;

/**
 * True when a write failed because the key's revision was not the expected
 * one, or another write from the same revision was first (a duplicate
 * message id).
 */
export function isConflict(err: unknown): boolean {
  return (
    (err instanceof JetStreamApiError && err.code === 10071) ||
    (err instanceof Error && /wrong last sequence|duplicate message/i.test(err.message))
  );
}

/**
 * True when the server refused a write for good (a bad request: the message
 * over the stream's size limit, a per-subject limit): it was not applied, and
 * the same message sent again would be refused again. Also through the
 * `ChimeError` that wraps it.
 */
export function isRefused(err: unknown): boolean {
  const cause = err instanceof Error && !(err instanceof JetStreamApiError) ? err.cause : err;
  return cause instanceof JetStreamApiError && cause.status === 400 && !isConflict(cause);
}

/**
 * A key's write: its bucket, its bytes (null: a delete), the revision it
 * replaces (0: absent; null: whatever it is — a delete only).
 */
export interface KeyWrite {
  bucket: string;
  key: string;
  bytes: Uint8Array | null;
  revision: number | null;
  /** What the write is, for its error (`writing a job`). */
  doing: string;
  /** How long it is sent again while its outcome is unknown. @defaultValue 20 s */
  resendForMs?: number;
}

/**
 * Writes a key on its revision, sent again while the outcome is unknown (see
 * the module comment); `send` runs each send (e.g. after the key's earlier
 * writes). The new revision, or null when the key moved.
 * @throws ChimeError `CHIME_ERR_STORE_UNAVAILABLE` when refused, or unknown for too long
 */
export async function writeKey(
  js: Acks,
  write: KeyWrite,
  send: (publish: () => Promise<PubAck>) => Promise<PubAck> = (publish) => publish(),
): Promise<number | null> {
  const { bucket, key, bytes, revision, doing } = write;
  const deleteId = bytes === null ? randomUUID() : undefined;
  const options: PublishOptions = {
    ...(revision === null
      ? { msgID: `${key}@${deleteId ?? randomUUID()}` }
      : { msgID: `${key}@${revision}`, expect: { lastSubjectSequence: revision } }),
    ...(deleteId === undefined ? {} : { headers: deleteHeaders(deleteId) }),
  };
  const publish = () => js.publish(`$KV.${bucket}.${key}`, bytes ?? Empty, options);
  const giveUpAt = Date.now() + (write.resendForMs ?? UNKNOWN_OUTCOME_MS);
  for (;;) {
    try {
      const ack = await send(publish);
      const ours = !ack.duplicate || (await holds(js, bucket, ack.seq, bytes ?? deleteId));
      return ours ? ack.seq : null;
    } catch (err) {
      if (isConflict(err)) return null;
      if (isRefused(err) || Date.now() >= giveUpAt) throw unavailable(err, doing);
      await new Promise((resolve) => setTimeout(resolve, RESEND_AFTER_MS));
    }
  }
}

/**
 * True when the bucket's message `seq` is this process's own write (a
 * duplicate of it): its bytes, or the delete of its write id.
 */
async function holds(
  js: Acks,
  bucket: string,
  seq: number,
  written: Uint8Array | string | undefined,
): Promise<boolean> {
  const manager = await js.jetstreamManager(false);
  const stored = await manager.streams.getMessage(`KV_${bucket}`, { seq });
  if (stored === null || written === undefined) return false;
  if (typeof written === 'string') return stored.header.get(WRITE_ID) === written;
  return Buffer.compare(Buffer.from(stored.data), Buffer.from(written)) === 0;
}

/** The header naming a delete's write (a delete has no value to hold a `writeId`). */
const WRITE_ID = 'Chime-Write-Id';

/** The headers of a KV delete. */
function deleteHeaders(writeId: string) {
  const h = headers();
  h.set('KV-Operation', 'DEL');
  h.set(WRITE_ID, writeId);
  return h;
}
