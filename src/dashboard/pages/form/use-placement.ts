import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { pointerOf, segments } from '../../lib/pointer';
import { fieldId } from './field';

/** A message for the field a JSON Pointer names. */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * Where each problem shows: at the field its path names, or at the nearest
 * enclosing field or group on the page (looked up by element id after each
 * render, `layoutKey` telling when the fields may have changed). The first
 * newly placed field gets the focus.
 */
export function usePlacement(problems: FieldProblem[], layoutKey: string): Map<string, string[]> {
  const [placement, setPlacement] = useState<Map<string, string[]>>(new Map());
  const problemsKey = JSON.stringify(problems);
  useLayoutEffect(() => {
    const next = new Map<string, string[]>();
    for (const problem of problems) {
      const at = nearestOnPage(problem.path);
      next.set(at, [...(next.get(at) ?? []), problem.message]);
    }
    if (JSON.stringify([...next]) !== JSON.stringify([...placement])) setPlacement(next);
  }, [problemsKey, layoutKey]);
  const first = problems[0]?.path;
  useEffect(() => {
    if (first === undefined) return;
    document.getElementById(fieldId(nearestOnPage(first)))?.focus();
  }, [problemsKey]);
  return placement;
}

/** The path itself, or its nearest ancestor, that has an element on the page ('' when none). */
function nearestOnPage(path: string): string {
  const parts = segments(path);
  for (let n = parts.length; n > 0; n--) {
    const candidate = pointerOf(parts.slice(0, n));
    if (document.getElementById(fieldId(candidate))) return candidate;
  }
  return '';
}
