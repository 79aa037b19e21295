/**
 * Migration 3: the registry of live instances. Frozen once shipped.
 *
 * One row per registered instance: what it said of itself, its last sign of
 * life and what it held then, and how its process is told apart on this host
 * (`boot_id`, `pid_start`: see `processes.ts`), so another instance can find
 * it gone without waiting for its silence. Rows are few (one per instance):
 * every query reads them all, by the primary key's order.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE TABLE instances (
  id           TEXT    PRIMARY KEY,
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  version      TEXT    NOT NULL,
  started_at   INTEGER NOT NULL,
  capacity     INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  held         INTEGER NOT NULL,
  running      INTEGER NOT NULL,
  boot_id      TEXT,
  pid_start    INTEGER
) STRICT;
`;

/** Live instances and their signs of life. */
export const migration003: Migration = { version: 3, name: 'instances', sql };
