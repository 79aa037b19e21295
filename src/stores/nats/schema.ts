/**
 * The NATS store's schema version: the meta bucket's `schema` key, created
 * once (a KV create, so of many instances opening an empty server one writes
 * it) and checked at every open. Buckets are created by `connection.ts`.
 * Version 3 keeps each execution under a key of its own, a finished one's
 * record included; a store of version 1 (a job's executions inside its
 * document) or 2 (finished records in a history bucket) is refused with a
 * clear error, not converted (see docs/design-notes.md, "The NATS store").
 */
import { ChimeError } from '../../errors.js';
import { SCHEMA_VERSION, unavailable, type Buckets } from './connection.js';
import { decode, encode } from './documents.js';
import { isConflict } from './key-write.js';

/** The versions this chime refuses, with what they kept where. */
const OUTDATED: Record<number, string> = {
  1: 'each job one document with all its executions',
  2: 'finished executions in a history bucket',
};

/** Writes the schema version on an empty store; returns the versions applied. */
export async function writeSchema(buckets: Buckets): Promise<number[]> {
  try {
    await buckets.meta.create('schema', encode(SCHEMA_VERSION));
    return [SCHEMA_VERSION];
  } catch (err) {
    if (!isConflict(err)) throw unavailable(err, 'writing its schema version');
  }
  await checkSchema(buckets, '');
  return [];
}

/** Fails unless the store holds this code's schema version. */
export async function checkSchema(buckets: Buckets, prefix: string): Promise<void> {
  const entry = await buckets.meta.get('schema').catch((err: unknown) => {
    throw unavailable(err, 'reading its schema version');
  });
  const version = entry?.operation === 'PUT' ? decode<number>(entry.value) : 0;
  if (version > SCHEMA_VERSION)
    throw new ChimeError(
      'CHIME_ERR_STORE_SCHEMA_TOO_NEW',
      `the NATS store holds schema version ${version}; this chime knows up to ${SCHEMA_VERSION}: upgrade chime`,
    );
  const outdated = OUTDATED[version];
  if (outdated !== undefined)
    throw new ChimeError(
      'CHIME_ERR_STORE_SCHEMA_OUTDATED',
      `the NATS store with prefix ${prefix} holds schema version ${version} (${outdated}), which this chime does not read: let its work finish with the chime that wrote it, then start on a new prefix (or delete the buckets ${prefix}_*)`,
    );
  if (version < SCHEMA_VERSION)
    throw new ChimeError(
      'CHIME_ERR_STORE_SCHEMA_OUTDATED',
      `the NATS store with prefix ${prefix} has no buckets yet: run chime migrate`,
    );
}
