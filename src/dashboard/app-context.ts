import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AccessInfo } from './api/types';

/** What every page may ask: the caller's access, and a way to sign out. */
export interface AppState {
  /** What the caller may do; null until the service has said. */
  access: AccessInfo | null;
  signOut: () => void;
}

/** The app's shared state. */
export const AppContext = createContext<AppState>({ access: null, signOut: () => undefined });

/** True when the caller may act (create, change, trigger, delete); false until known. */
export function useCanWrite(): boolean {
  return useContext(AppContext).access?.access === 'write';
}
