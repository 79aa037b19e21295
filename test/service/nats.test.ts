/**
 * `chime serve` and `chime migrate` on the NATS store (`--database-url
 * nats://…`), against the machine's NATS server, each on a bucket prefix of
 * its own; and the parsing of NATS URLs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Execution } from '../../src/model/execution.js';
import type { Page } from '../../src/scheduler/scheduler.js';
import { natsOptionsFromUrl } from '../../src/stores/nats/index.js';
import { chime, serve, type Served } from '../cli/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';
import { NATS_URL, dropPrefix, freshPrefix, streamsOf } from '../stores/nats-fixture.js';
import { call, waitFor } from './harness.js';

describe('NATS URLs', () => {
  it('name the servers, credentials and the store options', () => {
    expect(
      natsOptionsFromUrl(
        'nats://me:s%40cret@a.example:4222,b.example?prefix=p1&replicas=3&creds=/x.creds&tls-ca=/ca.pem',
      ),
    ).toEqual({
      servers: ['nats://a.example:4222', 'nats://b.example'],
      user: 'me',
      pass: 's@cret',
      prefix: 'p1',
      replicas: 3,
      credentialsFile: '/x.creds',
      tlsCaFile: '/ca.pem',
    });
    expect(natsOptionsFromUrl('tls://h:4443')).toEqual({ servers: ['tls://h:4443'] });
  });

  it.each([
    ['nats://h?stream=x', /parameters prefix, replicas, creds, tls-ca, not "stream"/],
    ['nats://sometoken@h', /user:password@/],
    ['nats://', /nats:\/\/host/],
  ])('%s is refused with CHIME_ERR_CONFIG_INVALID', (url, message) => {
    expect(() => natsOptionsFromUrl(url)).toThrow(
      expect.objectContaining({
        code: 'CHIME_ERR_CONFIG_INVALID',
        message: expect.stringMatching(message),
      }),
    );
  });
});

const available = await serviceAvailable('nats');

describe.skipIf(!available)('chime on NATS', () => {
  const prefixes: string[] = [];
  const served: Served[] = [];
  afterAll(async () => {
    for (const s of served) await s.stop();
    for (const prefix of prefixes) await dropPrefix(prefix);
  });
  const urlOf = () => {
    const prefix = freshPrefix();
    prefixes.push(prefix);
    return { prefix, url: `${NATS_URL}?prefix=${prefix}` };
  };

  it('chime migrate creates the buckets, then has nothing to do', async () => {
    const { prefix, url } = urlOf();
    const first = await chime(['migrate', '--database-url', url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('applied migration(s) 3\n');
    expect(await streamsOf(prefix)).toHaveLength(3);
    const second = await chime(['migrate'], { CHIME_DATABASE_URL: url });
    expect(second.stdout).toMatch(/up to date/);
  });

  it('chime serve runs jobs on NATS: a job created through the API fires and its execution is listed', async () => {
    const { url } = urlOf();
    const service = await serve(['--port', '0', '--database-url', url, '--log-level', 'silent']);
    served.push(service);
    const ran: string[] = [];
    service.service.scheduler.handle('record', async (ctx) => void ran.push(ctx.job.id));
    const created = await call(service.url, 'POST', '/v1/jobs', {
      body: {
        id: 'on-nats',
        schedule: { kind: 'once', at: new Date(Date.now() + 500).toISOString() },
        target: { type: 'handler', name: 'record' },
      },
    });
    expect(created.status, created.text).toBe(201);
    const executions = await waitFor(async () => {
      const { json } = await call<Page<Execution>>(
        service.url,
        'GET',
        '/v1/jobs/on-nats/executions',
      );
      return json.items.find((e) => e.status === 'succeeded');
    }, 'the execution of on-nats');
    expect(executions).toMatchObject({ jobId: 'on-nats', trigger: 'schedule', attempt: 1 });
    expect(ran).toEqual(['on-nats']);
    const ready = await call(service.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
  });

  it('chime serve on a NATS server that is not there exits with CHIME_ERR_STORE_UNAVAILABLE', async () => {
    const run = await chime([
      'serve',
      '--port',
      '0',
      '--database-url',
      'nats://127.0.0.1:1?prefix=x',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('CHIME_ERR_STORE_UNAVAILABLE');
  });
});
