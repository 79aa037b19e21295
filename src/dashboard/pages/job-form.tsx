import { useContext, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, ApiError, segment } from '../api/client';
import { jobSchema } from '../api/job-schema';
import type { Job, JsonSchema } from '../api/types';
import { AppContext, useCanWrite } from '../app-context';
import { ErrorNotice } from '../components/problem';
import { useRenderMark } from '../hooks/use-render-mark';
import { useResource } from '../hooks/use-resource';
import { definitionOf } from '../lib/definition';
import { FieldErrors, fieldId } from './form/field';
import { JobFields } from './form/job-fields';
import { RawEditor } from './form/raw-editor';
import { useDraft, type Draft } from './form/use-draft';
import { usePlacement, type FieldProblem } from './form/use-placement';

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
  const state = useDraft(props.initial);
  const [apiError, setApiError] = useState<ApiError | null>(null);
  const [other, setOther] = useState<unknown>(undefined);
  const [previewError, setPreviewError] = useState<FieldProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const editing = props.id !== undefined;
  const problems = problemsOf(apiError, previewError);
  const placement = usePlacement(
    problems,
    `${state.mode}|${state.version}|${JSON.stringify(state.draft)}`,
  );

  const onValue = (path: string, value: unknown) => {
    state.setValue(path, value);
    if (apiError?.path !== undefined && path.startsWith(apiError.path)) setApiError(null);
  };
  const switchMode = (next: 'form' | 'raw') => {
    try {
      state.switchMode(next);
      setOther(undefined);
    } catch {
      setOther(new Error('The JSON does not parse: fix it before going back to the form.'));
    }
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    setApiError(null);
    setOther(undefined);
    setBusy(true);
    try {
      const saved = await save(state.body(), props.id);
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
      <ModeTabs mode={state.mode} onMode={switchMode} />
      <form class="job-form" noValidate onSubmit={(e) => void submit(e)}>
        <ErrorNotice error={other} />
        {apiError && <ProblemSummary error={apiError} />}
        {state.mode === 'form' ? (
          <FieldErrors.Provider value={placement}>
            <JobFields
              key={state.version}
              schema={props.schema}
              draft={state.draft}
              editing={editing}
              onValue={onValue}
              onPreviewError={setPreviewError}
            />
          </FieldErrors.Provider>
        ) : (
          <RawEditor
            text={state.raw}
            onText={state.setRaw}
            schema={props.schema}
            apiProblem={
              apiError?.path === undefined
                ? null
                : { path: apiError.path, message: apiError.message }
            }
          />
        )}
        <SaveButtons
          busy={busy}
          cancelTo={editing ? `/jobs/${segment(props.id ?? '')}` : '/jobs'}
          label={editing ? 'Save changes' : 'Create job'}
        />
      </form>
    </>
  );
}

/** Form or raw JSON. */
function ModeTabs(props: { mode: 'form' | 'raw'; onMode: (mode: 'form' | 'raw') => void }) {
  return (
    <div class="tabs" role="group" aria-label="Edit as">
      <button
        type="button"
        aria-pressed={props.mode === 'form'}
        onClick={() => props.onMode('form')}
      >
        Form
      </button>
      <button type="button" aria-pressed={props.mode === 'raw'} onClick={() => props.onMode('raw')}>
        Raw JSON
      </button>
    </div>
  );
}

/** Save, or go back without saving. */
function SaveButtons(props: { busy: boolean; label: string; cancelTo: string }) {
  return (
    <div class="buttons">
      <button type="submit" class="primary" disabled={props.busy}>
        {props.label}
      </button>
      <a class="button" href={props.cancelTo}>
        Cancel
      </a>
    </div>
  );
}

/** Creates the job (`POST`) or updates it (`PUT`, the idempotent ensure). */
function save(body: Draft, id: string | undefined): Promise<Job> {
  return id === undefined
    ? api<Job>('POST', '/v1/jobs', { body })
    : api<Job>('PUT', `/v1/jobs/${segment(id)}`, { body });
}

/** The API's error at its path, and the preview's unless it names the same field. */
function problemsOf(apiError: ApiError | null, previewError: FieldProblem | null): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (apiError?.path !== undefined)
    problems.push({ path: apiError.path, message: apiError.message });
  if (previewError && !problems.some((p) => p.path === previewError.path))
    problems.push(previewError);
  return problems;
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
