/**
 * The dashboard: asks the service what the caller may do (and, when it
 * needs a token, asks for one), opens the live feed, and routes between the
 * pages. The URL is the state: every view can be shared as a link.
 */
import { ErrorBoundary, lazy, LocationProvider, Route, Router } from 'preact-iso';
import { setToken } from './api/client';
import { useGate } from './app-gate';
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

/** The whole dashboard. */
export function App() {
  const { gate, check, signOut } = useGate();
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
