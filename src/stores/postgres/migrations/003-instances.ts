/**
 * Migration 3: the registry of live instances. Frozen once shipped.
 *
 * One row per registered instance: what it said of itself, its last sign of
 * life and what it held then, and `lock_key`, the second key of the session
 * advisory lock its store holds for it on a connection of its own (the first
 * is `registry-sql.ts` INSTANCE_LOCK_CLASS). The server releases that lock
 * the moment the process dies, so another instance finds it gone without
 * waiting for its silence. Each sign of life rewrites `last_seen_at`, `held`
 * and `running`, which no index covers: with room left on the page (fill
 * factor 50) the update stays on it (HOT). Rows are few: queries read them all.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE TABLE {{schema}}.instances (
  id           text COLLATE "C" PRIMARY KEY,
  host         text    NOT NULL,
  pid          integer NOT NULL,
  version      text    NOT NULL,
  started_at   bigint  NOT NULL,
  capacity     integer NOT NULL,
  last_seen_at bigint  NOT NULL,
  held         integer NOT NULL,
  running      integer NOT NULL,
  lock_key     integer NOT NULL UNIQUE CHECK (lock_key >= 0)
) WITH (fillfactor = 50);
`;

/** Live instances and their signs of life. */
export const migration003: Migration = { version: 3, name: 'instances', sql };
