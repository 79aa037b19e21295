export { postgresStore, PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { MIGRATIONS, type Migration } from './migrations.js';
