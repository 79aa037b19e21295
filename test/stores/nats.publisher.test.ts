/**
 * The NATS store's publisher (`publisher.ts`): JetStream publishes answered
 * on one inbox subscription, read as the client reads them — an
 * acknowledgement, a duplicate, a conflict the key's writes recognise, an
 * answer that does not come failing after the publisher's timeout, and what
 * is unanswered failing when the publisher stops.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { isConflict } from '../../src/stores/nats/key-write.js';
import { Publisher } from '../../src/stores/nats/publisher.js';
import { serviceAvailable } from '../helpers/services.js';
import { NATS_URL, dropPrefix, freshPrefix } from './nats-fixture.js';

const available = await serviceAvailable('nats');
const bytes = (text: string) => new TextEncoder().encode(text);

describe.skipIf(!available)('nats store: publisher', () => {
  const connections: NatsConnection[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
    await Promise.all(prefixes.splice(0).map((prefix) => dropPrefix(prefix)));
  });

  async function open(timeoutMs: number) {
    const nc = await connect({ servers: NATS_URL });
    connections.push(nc);
    const prefix = freshPrefix();
    prefixes.push(prefix);
    const bucket = `${prefix}_p`;
    await new Kvm(nc).create(bucket, { history: 1 });
    return { nc, bucket, publisher: new Publisher(nc, timeoutMs) };
  }

  test('acknowledges a write, answers its resend as a duplicate, refuses a stale revision as a conflict', async () => {
    const { bucket, publisher } = await open(2_000);
    const subject = `$KV.${bucket}.k`;
    const first = await publisher.publish(subject, bytes('a'), {
      msgID: 'k@0',
      expect: { lastSubjectSequence: 0 },
    });
    expect(first).toEqual({ stream: `KV_${bucket}`, seq: 1, duplicate: false });
    const again = await publisher.publish(subject, bytes('a'), {
      msgID: 'k@0',
      expect: { lastSubjectSequence: 0 },
    });
    expect(again).toMatchObject({ seq: 1, duplicate: true });
    const stale = publisher.publish(subject, bytes('b'), {
      msgID: 'k@0-again',
      expect: { lastSubjectSequence: 0 },
    });
    await expect(stale).rejects.toSatisfy(isConflict);
    const many = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        publisher.publish(`$KV.${bucket}.m${i}`, bytes(String(i)), { msgID: `m${i}@0` }),
      ),
    );
    expect(new Set(many.map((ack) => ack.seq)).size).toBe(50);
    publisher.stop();
  });

  test('a publish no stream answers fails after the timeout; one unanswered at stop fails then', async () => {
    const { nc, publisher } = await open(300);
    // A subject no stream holds, with a responder that never answers: no 503 either.
    nc.subscribe('chime.test.silent.>', { callback: () => undefined });
    const started = Date.now();
    await expect(
      publisher.publish('chime.test.silent.a', bytes('x'), { msgID: 'a' }),
    ).rejects.toThrow(/timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(1_500);
    const pending = publisher.publish('chime.test.silent.b', bytes('x'), { msgID: 'b' });
    publisher.stop();
    await expect(pending).rejects.toThrow(/closed/);
  });

  test('a publish to a subject without a responder fails at once (no responders)', async () => {
    const { publisher } = await open(5_000);
    const started = Date.now();
    await expect(
      publisher.publish('chime.test.nobody.here', bytes('x'), { msgID: 'n' }),
    ).rejects.toThrow(/no acknowledgement: 503/);
    expect(Date.now() - started).toBeLessThan(2_000);
    publisher.stop();
  });
});
