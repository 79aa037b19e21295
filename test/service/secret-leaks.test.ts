/**
 * Secrets do not leak through the cracks: a password inside a URL that does
 * not parse (refused at validation, redacted all the same when stored), error
 * messages of the API and the CLI, `chime config`, and a stored token that a
 * PATCH would carry to another host.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChimeError } from '../../src/errors.js';
import type { Job } from '../../src/model/job.js';
import { REDACTED, SECRET_KEYWORD } from '../../src/model/secrets.js';
import { toProblem } from '../../src/service/problem.js';
import { chime } from '../cli/run-cli.js';
import {
  call,
  startReceiver,
  startTestService,
  waitFor,
  type Receiver,
  type TestService,
} from './harness.js';

const PASSWORD = 'Pw0rdLeak5ecret';
let svc: TestService;
let a: Receiver;
let b: Receiver;

beforeAll(async () => {
  [a, b] = await Promise.all([startReceiver(), startReceiver()]);
  svc = await startTestService();
});

afterAll(async () => {
  await svc?.close();
  await Promise.all([a?.close(), b?.close()]);
});

const schedule = { kind: 'interval', every: '1h' };
/** For each URL field of each target type: a target whose URL does not parse (a port out of range). */
const UNPARSABLE: Record<string, [string, Record<string, unknown>]> = {
  'http/url': ['/target/url', { type: 'http', url: `http://u:${PASSWORD}@example.com:99999/` }],
  'amqp/url': [
    '/target/url',
    { type: 'amqp', url: `amqp://u:${PASSWORD}@127.0.0.1:99999`, exchange: '', routingKey: 'q' },
  ],
  'nats/servers': [
    '/target/servers',
    { type: 'nats', servers: `nats://u:${PASSWORD}@127.0.0.1:99999`, subject: 'a' },
  ],
  'email/smtp': [
    '/target/smtp',
    {
      type: 'email',
      smtp: `smtp://u:${PASSWORD}@127.0.0.1:99999`,
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 's',
      text: 't',
    },
  ],
};

describe('a password in a URL that does not parse', () => {
  it('the table covers every URL field of every target type', () => {
    const members = (svc.service.scheduler.schemas().target as { anyOf: TSchema[] }).anyOf;
    const urlFields = members.flatMap((member) => {
      const { properties } = member as { properties: Record<string, Record<string, unknown>> };
      const type = (properties['type'] as { const: string }).const;
      return Object.entries(properties)
        .filter(([, schema]) => schema[SECRET_KEYWORD] === 'url')
        .map(([field]) => `${type}/${field}`);
    });
    expect(urlFields.sort()).toEqual(Object.keys(UNPARSABLE).sort());
  });

  it.each(Object.entries(UNPARSABLE))(
    '%s: refused at validation, the password in no answer',
    async (_, [path, target]) => {
      for (const [method, at] of [
        ['POST', '/v1/jobs'],
        ['PUT', '/v1/jobs/bad-url'],
      ]) {
        const answer = await call(svc.url, method as string, at as string, {
          body: { id: 'bad-url', schedule, target },
        });
        expect(answer.status, answer.text).toBe(400);
        expect(answer.json).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path });
        expect(answer.text).not.toContain(PASSWORD);
      }
      expect(await svc.service.scheduler.getJob('bad-url')).toBeNull();
    },
  );

  it('stored by an earlier version, is redacted by GET, the list and `chime jobs get`', async () => {
    const put = await call(svc.url, 'PUT', '/v1/jobs/stored-bad', {
      body: {
        schedule,
        paused: true,
        target: { type: 'amqp', url: 'amqp://u:x@h', exchange: '', routingKey: 'q' },
      },
    });
    expect(put.status, put.text).toBe(200);
    const url = `amqp://u:${PASSWORD}@h:99999/v`;
    const db = new Database(svc.dbPath);
    db.prepare(
      "UPDATE jobs SET definition = json_set(definition, '$.target.url', ?) WHERE id = 'stored-bad'",
    ).run(url);
    db.close();
    expect((await svc.service.scheduler.getJob('stored-bad'))?.target).toMatchObject({ url });
    const shown = `amqp://u:${REDACTED}@h:99999/v`;
    const get = await call<Job>(svc.url, 'GET', '/v1/jobs/stored-bad');
    expect(get.json.target).toMatchObject({ url: shown });
    const list = await call(svc.url, 'GET', '/v1/jobs');
    const cli = await chime(['jobs', 'get', 'stored-bad', '--url', svc.url]);
    for (const text of [get.text, list.text, cli.stdout, cli.stderr])
      expect(text).not.toContain(PASSWORD);
    expect(cli.stdout).toContain(shown);
  });
});

describe('error messages', () => {
  it('of the API never carry a password in a URL, whatever the message quotes', () => {
    const error = new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      `bad nats://u:${PASSWORD}@h:99999 here`,
    );
    const problem = toProblem(error, '/v1/jobs');
    expect(problem.detail).not.toContain(PASSWORD);
    expect(problem.detail).toContain(`nats://u:${REDACTED}@h:99999 here`);
  });

  it('of the CLI do not echo a NATS URL with its password', async () => {
    const file = join(svc.dir, 'nats-job.json');
    const target = { type: 'nats', servers: [`nats://u:${PASSWORD}@h:99999`], subject: 'a' };
    writeFileSync(file, JSON.stringify({ id: 'nats-bad', schedule, target }));
    const run = await chime(['jobs', 'put', '-f', file, '--url', svc.url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CHIME_ERR_INVALID_INPUT');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  it('of `chime config` show no database password, whether the URL parses or not', async () => {
    for (const url of [
      `postgres://user:${PASSWORD}@…`,
      `postgres://user:${PASSWORD}@host:99999/db`,
      `postgres://user:a/${PASSWORD}@host/db`,
      `postgres://user:${PASSWORD}@host/db`,
    ]) {
      for (const json of [[], ['--json']]) {
        const run = await chime(['config', '--database-url', url, ...json]);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout + run.stderr).not.toContain(PASSWORD);
        expect(run.stdout).toContain(`postgres://user:${REDACTED}@`);
      }
    }
  });
});

describe('a stored token', () => {
  const token = 'TokenForHostA0123456789';
  const job = () => ({
    schedule,
    paused: true,
    target: { type: 'http', url: `${a.url}/hook`, auth: { type: 'bearer', token } },
    onFailure: { type: 'http', url: `${a.url}/dead`, auth: { type: 'bearer', token } },
  });

  it.each(['target', 'onFailure'])(
    'does not follow a PATCH of the %s to another host; a new token does',
    async (field) => {
      const id = `token-${field}`;
      expect((await call(svc.url, 'PUT', `/v1/jobs/${id}`, { body: job() })).status).toBe(200);
      for (const type of ['application/json', 'application/merge-patch+json']) {
        const moved = await call(svc.url, 'PATCH', `/v1/jobs/${id}`, {
          body: { [field]: { url: `${b.url}/hook` } },
          headers: { 'content-type': type },
        });
        expect(moved.status, moved.text).toBe(400);
        expect(moved.json).toMatchObject({ code: 'CHIME_ERR_INVALID_INPUT', path: `/${field}` });
      }
      const stored = await svc.service.scheduler.getJob(id);
      expect(stored?.version).toBe(1);
      expect(stored?.[field as 'target']).toEqual(job()[field as 'target']);

      // The same host, another path: the token stays.
      const samePlace = await call(svc.url, 'PATCH', `/v1/jobs/${id}`, {
        body: { [field]: { url: `${a.url}/other` } },
      });
      expect(samePlace.status, samePlace.text).toBe(200);
      expect((await svc.service.scheduler.getJob(id))?.[field as 'target']).toMatchObject({
        auth: { token },
      });

      // Another host with its own token: taken.
      const fresh = 'TokenForHostB0123456789';
      const ok = await call(svc.url, 'PATCH', `/v1/jobs/${id}`, {
        body: { [field]: { url: `${b.url}/hook`, auth: { type: 'bearer', token: fresh } } },
      });
      expect(ok.status, ok.text).toBe(200);
      expect((await svc.service.scheduler.getJob(id))?.[field as 'target']).toMatchObject({
        url: `${b.url}/hook`,
        auth: { token: fresh },
      });
    },
  );

  it('never reaches the other host when the job fires', async () => {
    const id = 'token-fires';
    const definition = { ...job(), paused: false, onFailure: undefined };
    expect((await call(svc.url, 'PUT', `/v1/jobs/${id}`, { body: definition })).status).toBe(200);
    await call(svc.url, 'PATCH', `/v1/jobs/${id}`, { body: { target: { url: `${b.url}/x` } } });
    await call(svc.url, 'POST', `/v1/jobs/${id}/trigger`, { body: {} });
    await waitFor(() => (a.requests.length >= 2 ? true : undefined), 'the fires at A');
    expect(b.requests.map((r) => r.headers['authorization'])).not.toContain(`Bearer ${token}`);
  });
});
