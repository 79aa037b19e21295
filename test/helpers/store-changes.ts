import type { Store, StoreChange } from '../../src/stores/store.js';

/** `store`, recording every change it announces (the proxy forwards everything else). */
export function watchChanges(store: Store, changes: StoreChange[]): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'onChange') {
        return (listener: (change: StoreChange) => void) =>
          target.onChange?.((change) => {
            changes.push(change);
            listener(change);
          });
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
