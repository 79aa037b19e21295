/**
 * A store given to `createScheduler` must have a `capabilities` object (the
 * engine reads its finish lanes there): one written in plain JavaScript
 * without it is refused at once, clearly, not with a TypeError later.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../src/index.js';
import { testScheduler } from './helpers/scheduler.js';

describe('a store without capabilities', () => {
  it('is refused with CHIME_ERR_OPTION_INVALID naming /store/capabilities', () => {
    const store = memoryStore();
    Object.defineProperty(store, 'capabilities', { value: undefined });
    expect(() => testScheduler({ store })).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_OPTION_INVALID', path: '/store/capabilities' }),
    );
  });
});
