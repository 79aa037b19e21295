import type { Store } from '../../src/index.js';

/**
 * Wraps a store so every method call is counted by name (for "no busy loop"
 * checks), its maintenance part's calls included.
 */
export function countingStore(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const counting = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, prop, receiver) {
        const value = Reflect.get(object, prop, receiver) as unknown;
        if (prop === 'maintenance' && typeof value === 'object' && value !== null)
          return counting(value);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  return { store: counting(store), calls };
}
