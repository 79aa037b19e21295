/**
 * The dashboard: asks the service what the caller may do (and, when it
 * needs a token, asks for one), opens the live feed, and routes between the
 * pages. The URL is the state: every view can be shared as a link.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ErrorBoundary, lazy, LocationProvider, Route, Router } from 'preact-iso';
import { api, ApiError, onUnauthorized, setToken } from './api/client';
import { live } from './api/live';
import type { AccessInfo } from './api/types';
import { AppContext } from './app-context';
import { Layout } from './components/layout';
import { ErrorNotice } from './components/problem';
import { ExecutionPage } from './pages/execution';
import { ExecutionsPage } from './pages/executions';
import { JobPage } from './pages/job';
import { JobsPage } from './pages/jobs';
import { LoginPage } from './pages/login';
import { NotFoundPage } from './pages/not-found';
import { OverviewPage } from './pages/overview';

/** The create / edit form, loaded when first needed (it brings the JSON Schema checker). */
const JobFormPage = lazy(() => import('./pages/job-form').then((m) => m.JobFormPage));

type Gate =
  | { state: 'app'; access: AccessInfo | null }
  | { state: 'login'; wrong: boolean }
  | { state: 'failed'; error: unknown };

/** The whole dashboard. */
export function App() {
  // The pages start at once, beside the question of access: no round trip before the
  // first data (a 401 from any of them asks for the token).
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

  if (gate.state === 'failed')
    return (
      <main class="narrow">
        <ErrorNotice error={gate.error} />
        <button type="button" onClick={() => void check()}>
          Try again
        </button>
      </main>
    );
  if (gate.state === 'login')
    return (
      <LoginPage
        wrong={gate.wrong}
        onToken={(token) => {
          setToken(token);
          void check(true);
        }}
      />
    );
  return (
    <AppContext.Provider value={{ access: gate.access, signOut }}>
      <LocationProvider>
        <Layout>
          <ErrorBoundary>
            <Router>
              <Route path="/" component={OverviewPage} />
              <Route path="/jobs" component={JobsPage} />
              <Route path="/new" component={JobFormPage} />
              <Route path="/jobs/:id/edit" component={JobFormPage} />
              <Route path="/jobs/:id" component={JobPage} />
              <Route path="/executions" component={ExecutionsPage} />
              <Route path="/executions/:id" component={ExecutionPage} />
              <Route default component={NotFoundPage} />
            </Router>
          </ErrorBoundary>
        </Layout>
      </LocationProvider>
    </AppContext.Provider>
  );
}
