/**
 * Test harness for the service: a real `startService` on an ephemeral port
 * with a fresh SQLite file, a small fetch wrapper, a recording HTTP receiver
 * and polling helpers.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { startService, type RunningService, type ServicePaths } from '../../src/service/serve.js';
import { tempDir } from '../helpers/files.js';

/** A running service on a temp SQLite file. */
export interface TestService {
  service: RunningService;
  url: string;
  dir: string;
  dbPath: string;
  /** Stops the service and removes its directory. */
  close(): Promise<void>;
}

/**
 * Starts `chime serve` in-process: `--port 0`, a fresh SQLite file, logs
 * silent unless `flags['log-level']` says otherwise.
 */
export async function startTestService(
  flags: Record<string, string | boolean> = {},
  logStream?: DestinationStream,
  paths: ServicePaths = {},
): Promise<TestService> {
  const { dir, cleanup } = tempDir('chime-service-');
  const dbPath = join(dir, 'chime.db');
  const config = loadConfig({
    flags: {
      port: '0',
      'database-url': dbPath,
      'log-level': 'silent',
      'shutdown-timeout': '2s',
      ...flags,
    },
    env: {},
  });
  const service = await startService(config, logStream, paths);
  return {
    service,
    url: service.url,
    dir,
    dbPath,
    close: async () => {
      await service.close();
      cleanup();
    },
  };
}

/** An answer: status, headers, raw text and the parsed JSON as `T` (undefined when not JSON). */
export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

/** Options of {@link call}. */
export interface CallOptions {
  /** A JSON body (serialized), or raw text with `raw: true`. */
  body?: unknown;
  raw?: boolean;
  headers?: Record<string, string>;
  token?: string;
}

/** Sends one request to the service and reads the whole answer. */
export async function call<T = unknown>(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = options.raw ? String(options.body) : JSON.stringify(options.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as T };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One request a {@link Receiver} got. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When its headers arrived (epoch ms). */
  at: number;
}

/** A real HTTP server that records every request and answers 200 `{"ok":true}`. */
export interface Receiver {
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

/** Starts a {@link Receiver} on 127.0.0.1 and an ephemeral port. */
export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        at,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A pino destination that keeps every line written to it. */
export function logCollector(): DestinationStream & { lines: string[]; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    text: () => lines.join(''),
  };
}
