import { memoryStore } from '../../src/stores/memory/memory-store.js';
import { describeStoreConformance } from './conformance.js';

describeStoreConformance('memory', async () => ({
  store: memoryStore(),
  cleanup: async () => {},
  durable: false,
}));
