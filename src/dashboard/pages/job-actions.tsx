import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, segment } from '../api/client';
import type { Execution, Job } from '../api/types';
import { Dialog } from '../components/dialog';
import { ErrorNotice } from '../components/problem';

/** A job's actions: pause or resume, trigger now (with a payload), edit, delete. */
export function JobActions({ job, onChanged }: { job: Job; onChanged: () => void }) {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [dialog, setDialog] = useState<'trigger' | 'delete' | null>(null);
  const [triggered, setTriggered] = useState<Execution | null>(null);
  const toggle = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api<Job>('POST', `/v1/jobs/${segment(job.id)}/${job.paused ? 'resume' : 'pause'}`);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="actions">
      <div class="buttons" role="group" aria-label="Actions">
        <button type="button" onClick={() => void toggle()} disabled={busy}>
          {job.paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setDialog('trigger')}>
          Trigger now…
        </button>
        <a class="button" href={`/jobs/${segment(job.id)}/edit`}>
          Edit
        </a>
        <button type="button" class="danger" onClick={() => setDialog('delete')}>
          Delete…
        </button>
      </div>
      <ErrorNotice error={error} />
      {triggered && (
        <p class="notice" role="status">
          Triggered: <a href={`/executions/${segment(triggered.id)}`}>execution {triggered.id}</a>
        </p>
      )}
      <Dialog
        open={dialog === 'trigger'}
        title={`Trigger ${job.id} now`}
        onClose={() => setDialog(null)}
      >
        <TriggerForm
          job={job}
          onDone={(execution) => {
            setTriggered(execution);
            setDialog(null);
          }}
          onCancel={() => setDialog(null)}
        />
      </Dialog>
      <Dialog
        open={dialog === 'delete'}
        title={`Delete ${job.id}?`}
        onClose={() => setDialog(null)}
      >
        <DeleteForm job={job} onCancel={() => setDialog(null)} />
      </Dialog>
    </div>
  );
}

function TriggerForm(props: { job: Job; onDone: (e: Execution) => void; onCancel: () => void }) {
  const [text, setText] = useState(
    props.job.payload === undefined ? '' : JSON.stringify(props.job.payload, null, 2),
  );
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setFieldError(undefined);
    setError(undefined);
    let body: { payload?: unknown } = {};
    if (text.trim() !== '') {
      try {
        body = { payload: JSON.parse(text) as unknown };
      } catch (err) {
        setFieldError(`Not JSON: ${(err as Error).message}`);
        return;
      }
    }
    try {
      props.onDone(
        await api<Execution>('POST', `/v1/jobs/${segment(props.job.id)}/trigger`, { body }),
      );
    } catch (err) {
      if (err instanceof ApiError && err.path === '/payload') setFieldError(err.message);
      else setError(err);
    }
  };
  return (
    <form method="dialog" onSubmit={(e) => void submit(e)}>
      <label for="trigger-payload">Payload (JSON)</label>
      <p class="sub" id="trigger-payload-help">
        Handed to this run instead of the job's payload; leave empty to use the job's.
      </p>
      <textarea
        id="trigger-payload"
        class="code"
        rows={10}
        spellcheck={false}
        aria-describedby="trigger-payload-help trigger-payload-error"
        aria-invalid={fieldError !== undefined}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      {fieldError && (
        <p class="field-error" id="trigger-payload-error" role="alert">
          {fieldError}
        </p>
      )}
      <ErrorNotice error={error} />
      <div class="buttons">
        <button type="submit">Run now</button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DeleteForm(props: { job: Job; onCancel: () => void }) {
  const { route } = useLocation();
  const [error, setError] = useState<unknown>(undefined);
  const remove = async () => {
    try {
      await api('DELETE', `/v1/jobs/${segment(props.job.id)}`);
      route('/jobs');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div>
      <p>
        The job <strong>{props.job.id}</strong> and all its executions will be deleted. This cannot
        be undone.
      </p>
      <ErrorNotice error={error} />
      <div class="buttons">
        <button type="button" autofocus onClick={props.onCancel}>
          Keep it
        </button>
        <button type="button" class="danger" onClick={() => void remove()}>
          Delete
        </button>
      </div>
    </div>
  );
}
