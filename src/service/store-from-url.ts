import { ChimeError } from '../errors.js';
import { natsStore, isNatsUrl, natsOptionsFromUrl } from '../stores/nats/index.js';
import { postgresStore } from '../stores/postgres/index.js';
import { sqliteStore } from '../stores/sqlite/index.js';
import type { Store } from '../stores/store.js';

/**
 * The store a `--database-url` names: `postgres://…` (or `postgresql://…`,
 * with an optional `?schema=<name>`, default `chime`), `nats://…` or
 * `tls://…` (NATS servers, see `stores/nats/url.ts`), else a SQLite file path
 * (optionally `file:` prefixed). `maxConnections` sizes a Postgres store's pool.
 * @throws ChimeError `CHIME_ERR_CONFIG_INVALID` for a scheme chime has no store for.
 */
export function storeFromUrl(
  url: string,
  options: { migrate: boolean; maxConnections?: number },
): Store {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    return postgresStore({
      connectionString: parsed.toString(),
      ...(schema ? { schema } : {}),
      migrate: options.migrate,
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    });
  }
  if (isNatsUrl(url)) return natsStore({ ...natsOptionsFromUrl(url), migrate: options.migrate });
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
  if (scheme !== undefined) {
    throw new ChimeError(
      'CHIME_ERR_CONFIG_INVALID',
      `option --database-url (CHIME_DATABASE_URL): chime has no store for "${scheme}://" URLs; use a SQLite file path, a postgres:// URL or a nats:// URL`,
      { path: '/database-url' },
    );
  }
  return sqliteStore({ path: url.replace(/^file:/, ''), migrate: options.migrate });
}
