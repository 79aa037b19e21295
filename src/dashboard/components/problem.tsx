import { ApiError } from '../api/client';

/** An error as a notice: the API's detail, code and path, or the message. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  if (error instanceof ApiError) {
    return (
      <div class="notice notice-error" role="alert">
        <strong>{error.problem?.title ?? `Error ${error.status}`}</strong>
        <p>{error.message}</p>
        {error.problem && (
          <p class="sub">
            <code>{error.problem.code}</code>
            {error.path !== undefined && error.path !== '' && (
              <>
                {' at '}
                <code>{error.path}</code>
              </>
            )}
          </p>
        )}
      </div>
    );
  }
  return (
    <div class="notice notice-error" role="alert">
      <strong>Something went wrong</strong>
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}

/** True when the error is the API's 404. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}
