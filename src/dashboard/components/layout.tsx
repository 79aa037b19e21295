import type { ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { live, type LiveStatus } from '../api/live';
import { AppContext } from '../app-context';

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'connecting…',
  live: 'live',
  offline: 'offline, reconnecting',
  unauthorized: 'signed out',
};

/** The frame of every page: a skip link, the navigation, the live feed's state, the page. */
export function Layout({ children }: { children: ComponentChildren }) {
  const { access, signOut } = useContext(AppContext);
  const { path } = useLocation();
  const [status, setStatus] = useState<LiveStatus>(live.status);
  useEffect(() => {
    const off = live.onStatus(setStatus);
    // It may have changed between the render and this subscription.
    setStatus(live.status);
    return off;
  }, []);
  const link = (href: string, text: string, match: (p: string) => boolean) => (
    <a href={href} aria-current={match(path) ? 'page' : undefined}>
      {text}
    </a>
  );
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          chime
        </a>
        <nav aria-label="Main">
          {link('/', 'Overview', (p) => p === '/')}
          {link('/jobs', 'Jobs', (p) => p === '/jobs' || p.startsWith('/jobs/'))}
          {link('/executions', 'Executions', (p) => p.startsWith('/executions'))}
          {access?.access === 'write' && link('/new', 'New job', (p) => p === '/new')}
        </nav>
        <span class={`live live-${status}`} role="status" aria-live="polite">
          <span class="dot" aria-hidden="true" />
          {STATUS_TEXT[status]}
        </span>
        {access?.access === 'read' && <span class="badge">read-only</span>}
        {access?.tokenRequired && (
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
