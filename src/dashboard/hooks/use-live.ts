import { useEffect, useRef } from 'preact/hooks';
import { live, type LiveEvent } from '../api/live';

/**
 * Calls `onChange` when a live event that `relevant` accepts arrives (or a
 * `resync`), at most once per `intervalMs`: the first at once, the rest
 * gathered into one trailing call. Pages reload their data this way instead
 * of polling.
 */
export function useLive(
  relevant: (event: LiveEvent) => boolean,
  onChange: () => void,
  intervalMs = 1000,
): void {
  const relevantRef = useRef(relevant);
  const onChangeRef = useRef(onChange);
  relevantRef.current = relevant;
  onChangeRef.current = onChange;

  useEffect(() => {
    let last = 0;
    let timer: number | undefined;
    const fire = () => {
      timer = undefined;
      last = Date.now();
      onChangeRef.current();
    };
    const off = live.subscribe((event) => {
      if (event.type !== 'resync' && !relevantRef.current(event)) return;
      if (timer !== undefined) return;
      const wait = last + intervalMs - Date.now();
      if (wait <= 0) fire();
      else timer = window.setTimeout(fire, wait);
    });
    return () => {
      off();
      window.clearTimeout(timer);
    };
  }, [intervalMs]);
}

/** True for the events of one job (executions, fires and changes). */
export function ofJob(jobId: string): (event: LiveEvent) => boolean {
  return (event) => event.data.jobId === jobId;
}
