import { useState } from 'preact/hooks';
import { setAt } from '../../lib/pointer';

/** A job definition being edited. */
export type Draft = Record<string, unknown>;

/** The definition being edited, as fields or as raw JSON. */
export interface DraftState {
  draft: Draft;
  mode: 'form' | 'raw';
  raw: string;
  /** Bumped when the raw JSON comes back to the form: the fields start again from it. */
  version: number;
  setValue: (path: string, value: unknown) => void;
  setRaw: (text: string) => void;
  /** Switches between form and raw JSON; throws when the JSON does not parse. */
  switchMode: (mode: 'form' | 'raw') => void;
  /** The definition to send, from whichever view is shown; throws when the JSON does not parse. */
  body: () => Draft;
}

/** See {@link DraftState}. */
export function useDraft(initial: Draft): DraftState {
  const [draft, setDraft] = useState<Draft>(initial);
  const [mode, setMode] = useState<'form' | 'raw'>('form');
  const [raw, setRaw] = useState('');
  const [version, setVersion] = useState(0);
  const parse = (): Draft => {
    try {
      return JSON.parse(raw) as Draft;
    } catch (error) {
      throw new Error(`The definition is not JSON: ${(error as Error).message}`);
    }
  };
  return {
    draft,
    mode,
    raw,
    version,
    setValue: (path, value) => setDraft((current) => setAt(current, path, value)),
    setRaw,
    switchMode: (next) => {
      if (next === mode) return;
      if (next === 'raw') setRaw(JSON.stringify(draft, null, 2));
      else {
        setDraft(parse());
        setVersion((v) => v + 1);
      }
      setMode(next);
    },
    body: () => (mode === 'raw' ? parse() : draft),
  };
}
