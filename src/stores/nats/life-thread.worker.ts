/**
 * The thread of signs of life (`life-thread.ts`): a keeper per store's
 * channel (`life-keeper.ts`), answering the calls of the store's line.
 */
import { parentPort } from 'node:worker_threads';
import { isChimeError } from '../../errors.js';
import { LifeKeeper, type Written } from './life-keeper.js';
import type { Reply, Request } from './life-thread.js';

const port = parentPort;
if (!port) throw new Error('life-thread.worker.ts runs as a worker thread (see life-thread.ts)');

const keepers = new Map<number, Promise<LifeKeeper>>();
const opened = new Map<number, LifeKeeper>();
const sent = new Map<number, number>();

port.on('message', (request: Request) => {
  const { call, channel } = request;
  answer(request).then(
    (value) => {
      port.postMessage({ call, value, sent: sentOn(channel) } satisfies Reply);
      if (request.op === 'close') sent.delete(channel);
    },
    (err: unknown) => port.postMessage({ call, error: described(err) } satisfies Reply),
  );
});

/** The messages a channel's connection sent (the last count of a closed one). */
function sentOn(channel: number): number | undefined {
  const keeper = opened.get(channel);
  if (keeper) sent.set(channel, keeper.sent());
  return sent.get(channel);
}

async function answer(request: Request): Promise<Written | undefined> {
  const { channel } = request;
  if (request.op === 'open') {
    const opening = LifeKeeper.open(request.settings);
    keepers.set(channel, opening);
    opening.then(
      (keeper) => opened.set(channel, keeper),
      () => keepers.delete(channel),
    );
    await opening;
    return undefined;
  }
  const keeper = await keepers.get(channel);
  if (!keeper) throw new Error(`no channel ${channel} is open`);
  switch (request.op) {
    case 'keep':
      keeper.keep(request.record, request.revision, request.asked);
      return undefined;
    case 'beat':
      return keeper.beat(request.beat);
    case 'release':
      return keeper.release(request.id).then(() => undefined);
    case 'close':
      sentOn(channel);
      keepers.delete(channel);
      opened.delete(channel);
      return keeper.close().then(() => undefined);
  }
}

/** An error as a reply carries it (a `ChimeError`'s code kept). */
function described(err: unknown): NonNullable<Reply['error']> {
  if (isChimeError(err)) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'CHIME_ERR_STORE_UNAVAILABLE',
    message: `the NATS store's signs of life: ${message}`,
  };
}
