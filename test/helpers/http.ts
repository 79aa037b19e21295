/**
 * Helpers of the http executor's tests: a recording HTTP server on
 * 127.0.0.1, a hand-built attempt context, and small promise helpers.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext, Job, JobDefinition } from '../../src/index.js';
import type { HttpTarget } from '../../src/executors/http/index.js';
import { silent } from './scheduler.js';

/** One request as the test server saw it. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** Resolves when the request's socket closes. */
  socketClosed: Promise<void>;
}

/** How the test server answers a request. */
export type Reply = (res: ServerResponse, seen: Seen) => void;

/** A real HTTP server on 127.0.0.1 that records every request and answers with `reply`. */
export class RecordingServer {
  readonly seen: Seen[] = [];
  reply: Reply = (res) => res.end('ok');
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const socketClosed = new Promise<void>((resolve) => req.socket.once('close', resolve));
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        at: Date.now(),
        socketClosed,
      };
      this.seen.push(seen);
      this.reply(res, seen);
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The scheduler's definitions type targets as the built-in union, which does not name http yet. */
export function httpJob(
  definition: Omit<JobDefinition, 'target'> & { target: HttpTarget },
): JobDefinition {
  return definition as unknown as JobDefinition;
}

/** A hand-built attempt context for calling `executor.run` directly. */
export function context(
  signal: AbortSignal = new AbortController().signal,
  payload: unknown = { n: 1 },
): ExecutionContext {
  return {
    executionId: 'exec-1',
    job: { id: 'job-1' } as Job,
    payload,
    fireAt: new Date('2026-03-02T10:00:00Z'),
    attempt: 1,
    signal,
    logger: silent,
  };
}

/** Resolves with `promise`, or rejects when it takes longer than `ms` (generous: what it waits for takes milliseconds). */
export async function within<T>(
  promise: Promise<T> | undefined,
  ms: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      promise ?? Promise.reject(new Error(`${what}: nothing to wait for`)),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error `promise` rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as Error,
  );
}
