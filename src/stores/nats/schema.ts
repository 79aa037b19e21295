/**
 * The NATS store's schema version: the meta bucket's `schema` key, created
 * once (a create on the key's revision 0, so of many instances opening an
 * empty server one writes it) and checked at every open, read through the
 * stream's API. A stream that another instance created a moment ago may not
 * listen on its subjects yet (its publishes answered "no responders", its
 * direct gets not at all — the KV client's create read by one and failed
 * after `timeoutMs`): the write is sent again until it does. Buckets are
 * created by `connection.ts`.
 * Version 3 keeps each execution under a key of its own, a finished one's
 * record included; a store of version 1 (a job's executions inside its
 * document) or 2 (finished records in a history bucket) is refused with a
 * clear error, not converted (see docs/design-notes.md, "The NATS store").
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { RequestError, type NatsConnection } from '@nats-io/transport-node';
import { ChimeError } from '../../errors.js';
import { SCHEMA_VERSION, unavailable, type Settings } from './connection.js';
import { decode, encode } from './documents.js';
import { isConflict } from './key-write.js';

/** The versions this chime refuses, with what they kept where. */
const OUTDATED: Record<number, string> = {
  1: 'each job one document with all its executions',
  2: 'finished executions in a history bucket',
};

/** Writes the schema version on an empty store; returns the versions applied. */
export async function writeSchema(nc: NatsConnection, settings: Settings): Promise<number[]> {
  const js = jetstream(nc, { timeout: settings.timeoutMs });
  const subject = `$KV.${metaOf(settings)}.schema`;
  const giveUpAt = Date.now() + settings.timeoutMs;
  for (;;) {
    try {
      await js.publish(subject, encode(SCHEMA_VERSION), { expect: { lastSubjectSequence: 0 } });
      return [SCHEMA_VERSION];
    } catch (err) {
      if (isConflict(err)) break;
      if (!isNoResponders(err) || Date.now() >= giveUpAt)
        throw unavailable(err, 'writing its schema version');
      await new Promise((resolve) => setTimeout(resolve, NOT_LISTENING_PAUSE_MS));
    }
  }
  await checkSchema(nc, settings);
  return [];
}

/** Fails unless the store holds this code's schema version. */
export async function checkSchema(nc: NatsConnection, settings: Settings): Promise<void> {
  const { prefix } = settings;
  const meta = metaOf(settings);
  const manager = await jetstreamManager(nc, { timeout: settings.timeoutMs });
  const stored = await manager.streams
    .getMessage(`KV_${meta}`, { last_by_subj: `$KV.${meta}.schema` })
    .catch((err: unknown) => {
      throw unavailable(err, 'reading its schema version');
    });
  const deleted = stored === null || stored.header.get('KV-Operation') !== '';
  const version = deleted ? 0 : decode<number>(stored.data);
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

/** Pause before the schema version is sent again to a stream not listening yet. */
const NOT_LISTENING_PAUSE_MS = 50;

/**
 * True when a publish found nothing listening on its subject: a stream that
 * another instance created a moment ago may not take messages yet.
 */
function isNoResponders(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof RequestError && cause.isNoResponders();
}

function metaOf(settings: Settings): string {
  return `${settings.prefix}_meta`;
}
