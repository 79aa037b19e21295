export { natsStore, NatsStore, type NatsStoreOptions } from './nats-store.js';
