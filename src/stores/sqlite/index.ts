export { sqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
