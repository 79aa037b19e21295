/** The NATS store's copy of JSON values (`json-copy.ts`): equal, unshared, every key kept. */
import { describe, expect, it } from 'vitest';
import { copyJson } from '../../src/stores/nats/json-copy.js';

describe('copyJson', () => {
  it('copies a JSON value deeply: equal, sharing nothing', () => {
    const value = { a: [1, { b: null, c: 'x' }], d: true, e: { f: 2.5 } };
    const copy = copyJson(value);
    expect(copy).toStrictEqual(value);
    expect(copy.a).not.toBe(value.a);
    expect(copy.e).not.toBe(value.e);
  });

  it('keeps a key named __proto__ as a key (a handler result may hold one), not as the prototype', () => {
    const value = JSON.parse('{"result":{"__proto__":{"polluted":true},"n":1}}') as {
      result: Record<string, unknown>;
    };
    const copy = copyJson(value);
    expect(Object.keys(copy.result)).toEqual(['__proto__', 'n']);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
    expect(Object.getPrototypeOf(copy.result)).toBe(Object.prototype);
    expect((copy.result as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
