import { ChimeError, ERRORS, type ErrorCode } from '../errors.js';

/** Where the service is and how to authenticate (`--url`, `--token`). */
export interface ClientOptions {
  url: string;
  token?: string;
}

/**
 * A thin client of the management API for the CLI. Problem answers become
 * ChimeErrors with the service's code and path, so the CLI reports them (and
 * picks its exit code) exactly as the library would.
 */
export class ApiClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  /** Sends a request; resolves with the parsed JSON answer (undefined for 204). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ChimeError(
        'CHIME_ERR_SERVICE_UNREACHABLE',
        `cannot reach the chime service at ${this.base}: ${reason}`,
        { cause: err },
      );
    }
    const text = await response.text();
    if (response.ok) return (text === '' ? undefined : JSON.parse(text)) as T;
    throw problemError(response.status, text);
  }
}

function problemError(status: number, text: string): ChimeError {
  let problem: { code?: string; detail?: string; path?: string } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    problem = { detail: text.slice(0, 500) };
  }
  const code =
    problem.code !== undefined && problem.code in ERRORS
      ? (problem.code as ErrorCode)
      : 'CHIME_ERR_INTERNAL';
  const message = (problem.detail ?? `the service answered ${status}`).replace(
    / \(at [^)]*\)$/,
    '',
  );
  return new ChimeError(code, message, problem.path === undefined ? {} : { path: problem.path });
}

/**
 * The exit code of a failed command: 2 bad input, 3 not found, 4 conflict, 5 unauthorized
 * (no token, a wrong one, or a read-only one asked to write), 1 anything else.
 */
export function exitCodeOf(err: unknown): number {
  if (!(err instanceof ChimeError)) return 1;
  if (err.status === 401 || err.status === 403) return 5;
  if (err.status === 404) return 3;
  if (err.status === 409) return 4;
  if (err.status >= 400 && err.status < 500) return 2;
  return 1;
}
