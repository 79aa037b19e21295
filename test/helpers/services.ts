import { createConnection } from 'node:net';
import { randomBytes } from 'node:crypto';

/** The external services tests may use, where this machine (and CI) runs them. */
export const SERVICES = {
  postgres: { host: '127.0.0.1', port: 5432, url: 'postgres://postgres@127.0.0.1:5432/test' },
  rabbitmq: { host: '127.0.0.1', port: 5672, url: 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { host: '127.0.0.1', port: 4222, url: 'nats://127.0.0.1:4222' },
  redis: { host: '127.0.0.1', port: 6379, url: 'redis://127.0.0.1:6379' },
} as const;

/** A service name of {@link SERVICES}. */
export type ServiceName = keyof typeof SERVICES;

function reachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether a service's tests run. When the service is unreachable they are
 * skipped with a visible reason — unless `CHIME_REQUIRE_SERVICES=1` (CI), where
 * this throws so the test file fails. Use with `describe.skipIf(!(await serviceAvailable('nats')))`.
 */
export async function serviceAvailable(name: ServiceName): Promise<boolean> {
  const { host, port } = SERVICES[name];
  if (await reachable(host, port)) return true;
  const reason = `${name} is not reachable at ${host}:${port}`;
  if (process.env['CHIME_REQUIRE_SERVICES'] === '1') {
    throw new Error(`${reason}, and CHIME_REQUIRE_SERVICES=1 requires it`);
  }
  console.warn(
    `SKIPPED: ${reason}; its tests are skipped (set CHIME_REQUIRE_SERVICES=1 to fail instead)`,
  );
  return false;
}

/** A name unique to this test run, for exchanges, queues, subjects, streams and schemas. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}
