/**
 * Who may see the dashboard: the pages start at once, beside the question of
 * access (no round trip before the first data); a 401 from any call asks for
 * the token; once the service has said what the token may do, the live feed
 * starts.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, onUnauthorized, setToken } from './api/client';
import { live } from './api/live';
import type { AccessInfo } from './api/types';

/** Where the app stands: running (its access known or not yet), asking for a token, or failed. */
export type Gate =
  | { state: 'app'; access: AccessInfo | null }
  | { state: 'login'; wrong: boolean }
  | { state: 'failed'; error: unknown };

/** The gate, a way to check access again (after a sign-in: `afterLogin`), and a sign-out. */
export function useGate(): {
  gate: Gate;
  check: (afterLogin?: boolean) => Promise<void>;
  signOut: () => void;
} {
  const [gate, setGate] = useState<Gate>({ state: 'app', access: null });

  const check = useCallback(async (afterLogin = false) => {
    setGate({ state: 'app', access: null });
    try {
      const access = await api<AccessInfo>('GET', '/v1/access');
      setGate({ state: 'app', access });
      live.start();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setToken(null);
        setGate({ state: 'login', wrong: afterLogin });
      } else setGate({ state: 'failed', error });
    }
  }, []);

  useEffect(() => {
    void check();
    const offUnauthorized = onUnauthorized(() => {
      live.stop();
      setToken(null);
      setGate((current) =>
        current.state === 'login' ? current : { state: 'login', wrong: false },
      );
    });
    const offStatus = live.onStatus((status) => {
      if (status === 'unauthorized') setGate({ state: 'login', wrong: false });
    });
    return () => {
      offUnauthorized();
      offStatus();
    };
  }, [check]);

  const signOut = useCallback(() => {
    live.stop();
    setToken(null);
    setGate({ state: 'login', wrong: false });
  }, []);
  return { gate, check, signOut };
}
