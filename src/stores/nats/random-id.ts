/**
 * Short random ids (a debt's: 72 random bits as 12 base64url characters),
 * cut from a buffer of random bytes filled 256 ids at a time: one
 * `randomBytes` call per id cost ~8 µs a fire on a drain (the system call).
 */
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 9;
const pool = Buffer.alloc(ID_BYTES * 256);
let offset = pool.length;

/** A new random id of 12 base64url characters. */
export function randomId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += ID_BYTES;
  return pool.toString('base64url', offset - ID_BYTES, offset);
}
