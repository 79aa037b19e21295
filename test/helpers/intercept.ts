import type { Store } from '../../src/index.js';

/** The store with some methods replaced; the others are the store's own. */
export function intercept(inner: Store, overrides: Partial<Store>): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const override = (overrides as Record<PropertyKey, unknown>)[prop];
      if (override !== undefined) return override;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
