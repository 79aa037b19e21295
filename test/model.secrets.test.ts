import { describe, expect, it } from 'vitest';
import { HttpTargetSchema } from '../src/executors/http/schema.js';
import { NatsTargetSchema } from '../src/executors/nats/schema.js';
import {
  REDACTED,
  redactSecrets,
  redactUrl,
  redactUrlsIn,
  restoreSecrets,
} from '../src/model/secrets.js';

const stored = {
  type: 'http',
  url: 'https://user:hunter2@hooks.example.com/x',
  headers: { Authorization: 'Bearer abc', 'X-Trace': 't' },
  auth: { type: 'bearer', token: 's3cret' },
};

describe('secret fields', () => {
  it('redacts passwords inside URLs in place, whatever characters the password has', () => {
    expect(redactUrl('amqp://app:p%40ss@mq:5672/vh')).toBe(`amqp://app:${REDACTED}@mq:5672/vh`);
    expect(redactUrl('http://u:p@ss@host/x@y')).toBe(`http://u:${REDACTED}@host/x@y`);
    expect(redactUrl('nats://h:4222')).toBe('nats://h:4222');
  });

  it('redacts the password of a URL that does not parse, and of every URL in free text', () => {
    expect(redactUrl('amqp://u:pw@h:99999/v')).toBe(`amqp://u:${REDACTED}@h:99999/v`);
    expect(redactUrl('postgres://u:a/b@h/db')).toBe(`postgres://u:${REDACTED}@h/db`);
    expect(redactUrl('nats://u:p w@h')).toBe(`nats://u:${REDACTED}@h`);
    // A URL that parses keeps what its parser calls a path or a query.
    expect(redactUrl('https://h:8443/x?to=a@b')).toBe('https://h:8443/x?to=a@b');
    expect(redactUrlsIn('at amqp://u:pw@h:99999/v: refused, then smtp://x:y@z.')).toBe(
      `at amqp://u:${REDACTED}@h:99999/v: refused, then smtp://x:${REDACTED}@z.`,
    );
  });

  it('restores every placeholder a client sends back for an unchanged destination', () => {
    const shown = redactSecrets(HttpTargetSchema, stored) as typeof stored;
    expect(JSON.stringify(shown)).not.toMatch(/hunter2|abc|s3cret/);
    const back = { ...shown, headers: { authorization: REDACTED, 'X-Trace': 'new' } };
    expect(restoreSecrets(HttpTargetSchema, back, stored, '/target')).toEqual({
      ...stored,
      headers: { authorization: 'Bearer abc', 'X-Trace': 'new' },
    });
  });

  it('refuses to keep a stored secret for a new destination', () => {
    const shown = redactSecrets(HttpTargetSchema, stored) as typeof stored;
    const moved = { ...shown, url: `https://user:${REDACTED}@attacker.example.net/x` };
    expect(() => restoreSecrets(HttpTargetSchema, moved, stored, '/target')).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_INVALID_INPUT', path: '/target' }),
    );
    const movedWithToken = {
      ...stored,
      url: 'https://attacker.example.net/x',
      auth: { type: 'bearer', token: REDACTED },
    };
    expect(() => restoreSecrets(HttpTargetSchema, movedWithToken, stored, '/target')).toThrow(
      expect.objectContaining({ code: 'CHIME_ERR_INVALID_INPUT' }),
    );
    const newSecrets = {
      ...stored,
      url: 'https://other.example.net/x',
      auth: { type: 'bearer', token: 'fresh' },
    };
    expect(restoreSecrets(HttpTargetSchema, newSecrets, stored, '/target')).toEqual(newSecrets);
  });

  it('redacts and restores every URL of a server list', () => {
    const nats = {
      type: 'nats',
      servers: ['nats://a:pw1@n1:4222', 'nats://a:pw2@n2:4222'],
      subject: 's',
    };
    const shown = redactSecrets(NatsTargetSchema, nats);
    expect(JSON.stringify(shown)).not.toMatch(/pw1|pw2/);
    expect(restoreSecrets(NatsTargetSchema, shown, nats)).toEqual(nats);
  });
});
