/**
 * Calls to the chime API from the page: same origin, JSON in and out, the
 * token (when the service has one) in the `Authorization` header — kept in
 * sessionStorage for this browser tab's session, never in a URL. Errors come
 * back as {@link ApiError}s carrying the API's problem+json.
 */
import type { Problem } from './types';

const TOKEN_KEY = 'chime.token';

/** An API answer that is not a success. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? `the service answered ${status}`);
  }

  /** The JSON Pointer of the field the API blames, if any. */
  get path(): string | undefined {
    return this.problem?.path;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** The token of this session, or null. */
export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Keeps (or, with null, forgets) the token for this browser session. */
export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** Calls `listener` whenever the API answers 401; returns the unsubscribe function. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** The headers of every call: JSON, and the token when there is one. */
export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** Options of {@link api}. */
export interface CallOptions {
  /** A JSON body. */
  body?: unknown;
  signal?: AbortSignal;
}

/** Calls the API; resolves with the parsed JSON (undefined for 204), rejects with {@link ApiError}. */
export async function api<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  const init: RequestInit = { method, headers, cache: 'no-store' };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (options.signal) init.signal = options.signal;
  const response = await fetch(path, init);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json: unknown = text === '' ? undefined : safeParse(text);
  if (!response.ok) {
    if (response.status === 401) unauthorizedListeners.forEach((listener) => listener());
    throw new ApiError(response.status, isProblem(json) ? json : undefined);
  }
  return json as T;
}

/** A query string from parameters, leaving out empty ones. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** A path segment: a job id or execution id, encoded. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'code' in value && 'detail' in value;
}
