import { useEffect, useRef } from 'preact/hooks';

/**
 * Marks, once, when a page first shows its data: `performance.mark('chime:render:<page>')`.
 * Effects run after the browser paints, so the mark is when the data is on screen —
 * what the tests and `npm run dashboard:timing` read as the time to first render.
 */
export function useRenderMark(page: string, ready: boolean): void {
  const marked = useRef(false);
  useEffect(() => {
    if (!ready || marked.current) return;
    marked.current = true;
    performance.mark(`chime:render:${page}`);
  }, [ready]);
}
