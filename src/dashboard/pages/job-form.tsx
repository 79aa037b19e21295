import { useContext, useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, ApiError, segment } from '../api/client';
import { jobSchema } from '../api/job-schema';
import type { Job, JsonSchema } from '../api/types';
import { AppContext, useCanWrite } from '../app-context';
import { ErrorNotice } from '../components/problem';
import { useRenderMark } from '../hooks/use-render-mark';
import { useResource } from '../hooks/use-resource';
import { definitionOf } from '../lib/definition';
import { segments, pointerOf, setAt } from '../lib/pointer';
import { FieldErrors, fieldId } from './form/field';
import { JobFields } from './form/job-fields';
import { RawEditor } from './form/raw-editor';

type Draft = Record<string, unknown>;
type FieldProblem = { path: string; message: string };

const NEW_JOB: Draft = { schedule: { kind: 'cron' }, target: { type: 'handler' } };

/** Creates a job (`/new`) or edits one (`/jobs/:id/edit`): a form, or the raw JSON. */
export function JobFormPage() {
  const { params } = useRoute();
  const id = params['id'];
  const canWrite = useCanWrite();
  const { access } = useContext(AppContext);
  const schema = useResource(() => jobSchema(), 'schema');
  const job = useResource(
    (signal) =>
      id === undefined
        ? Promise.resolve(undefined)
        : api<Job>('GET', `/v1/jobs/${segment(id)}`, { signal }),
    id ?? '',
  );
  useRenderMark('form', schema.data !== undefined && (id === undefined || job.data !== undefined));
  if (access !== null && !canWrite)
    return (
      <p class="notice">Your token may only read: creating and editing jobs is not allowed.</p>
    );
  const error = schema.error ?? job.error;
  if (error) return <ErrorNotice error={error} />;
  if (!schema.data || (id !== undefined && !job.data)) return <p class="loading">Loading…</p>;
  const initial = job.data ? withoutPaused(definitionOf(job.data)) : NEW_JOB;
  return <JobForm key={id ?? 'new'} schema={schema.data} initial={initial} id={id} />;
}

/** An edit leaves `paused` alone: the job's Pause and Resume buttons change it. */
function withoutPaused(definition: Draft): Draft {
  const { paused: _paused, ...rest } = definition;
  return rest;
}

function JobForm(props: { schema: JsonSchema; initial: Draft; id: string | undefined }) {
  const { route } = useLocation();
  const [draft, setDraft] = useState<Draft>(props.initial);
  const [mode, setMode] = useState<'form' | 'raw'>('form');
  const [raw, setRaw] = useState('');
  const [formVersion, setFormVersion] = useState(0);
  const [apiError, setApiError] = useState<ApiError | null>(null);
  const [other, setOther] = useState<unknown>(undefined);
  const [previewError, setPreviewError] = useState<FieldProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const editing = props.id !== undefined;
  const problems: FieldProblem[] = [];
  if (apiError?.path !== undefined)
    problems.push({ path: apiError.path, message: apiError.message });
  if (previewError && !problems.some((p) => p.path === previewError.path))
    problems.push(previewError);
  const placement = usePlacement(problems, `${mode}|${formVersion}|${JSON.stringify(draft)}`);

  const onValue = (path: string, value: unknown) => {
    setDraft((current) => setAt(current, path, value));
    if (apiError?.path !== undefined && path.startsWith(apiError.path)) setApiError(null);
  };
  const switchMode = (next: 'form' | 'raw') => {
    if (next === mode) return;
    if (next === 'raw') setRaw(JSON.stringify(draft, null, 2));
    else {
      try {
        setDraft(JSON.parse(raw) as Draft);
        setFormVersion((v) => v + 1);
      } catch {
        setOther(new Error('The JSON does not parse: fix it before going back to the form.'));
        return;
      }
    }
    setOther(undefined);
    setMode(next);
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setApiError(null);
    setOther(undefined);
    let body: Draft;
    try {
      body = mode === 'raw' ? (JSON.parse(raw) as Draft) : draft;
    } catch (err) {
      setOther(new Error(`The definition is not JSON: ${(err as Error).message}`));
      return;
    }
    setBusy(true);
    try {
      const saved = editing
        ? await api<Job>('PUT', `/v1/jobs/${segment(props.id ?? '')}`, { body })
        : await api<Job>('POST', '/v1/jobs', { body });
      route(`/jobs/${segment(saved.id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.path !== undefined) setApiError(err);
      else setOther(err);
      setBusy(false);
    }
  };
  return (
    <>
      <h1>{editing ? `Edit ${props.id ?? ''}` : 'New job'}</h1>
      <div class="tabs" role="group" aria-label="Edit as">
        <button type="button" aria-pressed={mode === 'form'} onClick={() => switchMode('form')}>
          Form
        </button>
        <button type="button" aria-pressed={mode === 'raw'} onClick={() => switchMode('raw')}>
          Raw JSON
        </button>
      </div>
      <form class="job-form" noValidate onSubmit={(e) => void submit(e)}>
        <ErrorNotice error={other} />
        {apiError && <ProblemSummary error={apiError} />}
        {mode === 'form' ? (
          <FieldErrors.Provider value={placement}>
            <JobFields
              key={formVersion}
              schema={props.schema}
              draft={draft}
              editing={editing}
              onValue={onValue}
              onPreviewError={setPreviewError}
            />
          </FieldErrors.Provider>
        ) : (
          <RawEditor
            text={raw}
            onText={setRaw}
            schema={props.schema}
            apiProblem={
              apiError?.path !== undefined
                ? { path: apiError.path, message: apiError.message }
                : null
            }
          />
        )}
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            {editing ? 'Save changes' : 'Create job'}
          </button>
          <a class="button" href={editing ? `/jobs/${segment(props.id ?? '')}` : '/jobs'}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}

/** The API's error above the form, linking to the field it names. */
function ProblemSummary({ error }: { error: ApiError }) {
  const path = error.path ?? '';
  return (
    <div class="notice notice-error" role="alert">
      <strong>{error.problem?.title ?? 'The service refused the job'}</strong>
      <p>
        <a href={`#${fieldId(path)}`}>{path === '' ? 'The definition' : path}</a>: {error.message}{' '}
        <code>{error.problem?.code}</code>
      </p>
    </div>
  );
}

/**
 * Where each problem shows: at the field its path names, or at the nearest
 * enclosing field or group on the page (looked up by element id after each
 * render). The first newly placed field gets the focus.
 */
function usePlacement(problems: FieldProblem[], layoutKey: string): Map<string, string[]> {
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

function nearestOnPage(path: string): string {
  const parts = segments(path);
  for (let n = parts.length; n > 0; n--) {
    const candidate = pointerOf(parts.slice(0, n));
    if (document.getElementById(fieldId(candidate))) return candidate;
  }
  return '';
}
