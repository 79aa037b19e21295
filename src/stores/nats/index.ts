export { natsStore, NatsStore, type NatsStoreOptions } from './nats-store.js';
export { isNatsUrl, natsOptionsFromUrl } from './url.js';
