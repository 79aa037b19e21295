import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createScheduler,
  isChimeError,
  memoryStore,
  once,
  PermanentError,
  type ExecutionContext,
  type Job,
  type JobDefinition,
  type Scheduler,
  type SchedulerOptions,
} from '../../src/index.js';
import {
  emailExecutor,
  EmailTargetSchema,
  render,
  type EmailTarget,
} from '../../src/executors/email/index.js';
import { parseTemplate, type TemplateScope } from '../../src/executors/email/template.js';
import { REDACTED, redactSecrets } from '../../src/model/secrets.js';
import { waitFor } from '../helpers/events.js';
import { silent } from '../helpers/scheduler.js';
import { refusesBadTargets, type BadTarget } from '../helpers/bad-targets.js';

/** How the test server answers the n-th DATA (0-based). */
type Reply = 'accept' | 'stall' | { code: number; text: string };

/** One message as the server received it. */
interface Received {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
  reply: Reply;
}

/** A real SMTP server on 127.0.0.1 that records what it receives. */
interface TestSmtp {
  url: string;
  port: number;
  /** Every DATA received, accepted or not. */
  messages: Received[];
  /** Real times at which client connections closed. */
  closedAt: number[];
  close(): Promise<void>;
}

interface SmtpOptions {
  reply?: (n: number) => Reply;
  login?: { user: string; pass: string };
  starttls?: boolean;
}

const servers: TestSmtp[] = [];

async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const messages: Received[] = [];
  const closedAt: number[] = [];
  const server = new SMTPServer({
    authOptional: !options.login,
    allowInsecureAuth: true,
    disabledCommands: options.starttls ? [] : ['STARTTLS'],
    logger: false,
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      const { login } = options;
      if (login && auth.username === login.user && auth.password === login.pass) {
        return callback(null, { user: auth.username });
      }
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const reply = options.reply?.(messages.length) ?? 'accept';
        const { mailFrom, rcptTo } = session.envelope;
        messages.push({
          from: mailFrom ? mailFrom.address : '',
          to: rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user,
          reply,
        });
        if (reply === 'stall') return;
        if (reply === 'accept') return callback(null, 'OK: queued');
        callback(Object.assign(new Error(reply.text), { responseCode: reply.code }));
      });
    },
    onClose() {
      closedAt.push(Date.now());
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  const smtp: TestSmtp = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    closedAt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(smtp);
  return smtp;
}

/** The value of a header of a raw message (unfolded), or undefined. */
function header(raw: string, name: string): string | undefined {
  const head = raw.split('\r\n\r\n')[0]?.replace(/\r\n[ \t]+/g, ' ') ?? '';
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** Undoes quoted-printable soft line breaks and escapes (nodemailer wraps long HTML lines). */
function decodeQuotedPrintable(raw: string): string {
  return raw
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** `value` without the field `key`. */
function without(value: object, key: string): unknown {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));
}

function target(smtp: TestSmtp, fields: Partial<EmailTarget> = {}): EmailTarget {
  return {
    type: 'email',
    smtp: smtp.url,
    from: 'chime@example.com',
    to: 'ops@example.com',
    subject: 'Job {{ job.id }} fired',
    text: 'Hello',
    ...fields,
  };
}

function job(id: string, t: unknown, fields: Partial<JobDefinition> = {}): JobDefinition {
  return {
    id,
    schedule: once(new Date(Date.now() + 50)),
    target: t as JobDefinition['target'],
    retry: { maxAttempts: 3, initialDelay: 100, jitter: false },
    ...fields,
  };
}

let scheduler: Scheduler | undefined;

async function startScheduler(options: SchedulerOptions = {}): Promise<Scheduler> {
  scheduler = createScheduler({
    store: memoryStore(),
    logger: silent,
    executors: [emailExecutor()],
    ...options,
  });
  await scheduler.start();
  return scheduler;
}

afterEach(async () => {
  await scheduler?.stop({ timeoutMs: 0 });
  scheduler = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('email target through a scheduler', () => {
  it('sends the message with the payload substituted, HTML escaped, and Message-ID <executionId@chime>', async () => {
    const smtp = await startSmtp();
    const s = await startScheduler();
    const done = waitFor(s, 'execution:succeeded');
    await s.submitJob(
      job(
        'welcome',
        target(smtp, {
          from: 'Chime <chime@example.com>',
          to: ['{{ user.email }}', 'audit@example.com'],
          cc: '{{ managers }}',
          subject: 'Welcome {{ user.name }}\r\nBcc: evil@example.com',
          text: 'Hi {{ user.name }}, item {{ items.1 }}; attempt {{ attempt }}{{ missing.field }}.',
          html: '<p>Hi <b>{{ user.name }}</b></p><p>{{ job.id }} at {{ fireAt }}</p>',
        }),
        {
          payload: {
            user: { name: 'Ada <script>', email: 'ada@example.com' },
            managers: ['m1@example.com', 'm2@example.com'],
            items: ['zero', 'one'],
          },
        },
      ),
    );
    const success = await done;
    const [message] = smtp.messages;
    expect(smtp.messages).toHaveLength(1);
    expect(message?.from).toBe('chime@example.com');
    expect(message?.to.sort()).toEqual([
      'ada@example.com',
      'audit@example.com',
      'm1@example.com',
      'm2@example.com',
    ]);
    const raw = decodeQuotedPrintable(message?.raw ?? '');
    expect(header(raw, 'Message-ID')).toBe(`<${success.executionId}@chime>`);
    expect(header(raw, 'Subject')).toBe('Welcome Ada <script> Bcc: evil@example.com');
    expect(header(raw, 'Bcc')).toBeUndefined();
    expect(header(raw, 'Cc')).toBe('m1@example.com, m2@example.com');
    expect(header(raw, 'X-Chime-Job-Id')).toBe('welcome');
    expect(header(raw, 'X-Chime-Attempt')).toBe('1');
    expect(header(raw, 'X-Chime-Fire-At')).toBe(success.fireAt.toISOString());
    expect(raw).toContain('Hi Ada <script>, item one; attempt 1.');
    expect(raw).toContain('<p>Hi <b>Ada &lt;script&gt;</b></p>');
    expect(raw).toContain(`<p>welcome at ${success.fireAt.toISOString()}</p>`);
    expect(success.result).toMatchObject({
      messageId: `<${success.executionId}@chime>`,
      rejected: [],
      response: expect.stringContaining('250'),
    });
    expect((success.result as { accepted: string[] }).accepted).toHaveLength(4);
  });

  it('notifies a dead execution as onFailure, with the failure in the placeholders', async () => {
    const smtp = await startSmtp();
    const s = await startScheduler();
    s.handle('report', () => {
      throw new PermanentError('disk <full>');
    });
    const delivered = waitFor(s, 'execution:on-failure');
    await s.submitJob({
      ...job('nightly', { type: 'handler', name: 'report' }),
      payload: { owner: 'ops@example.com' },
      onFailure: target(smtp, {
        to: '{{ payload.owner }}',
        subject: 'Job {{ jobId }} failed after {{ attempts.length }} attempt(s)',
        html: '<p>{{ error.message }}</p><p>{{ executionId }}</p>',
      }) as unknown as JobDefinition['target'],
    });
    const { executionId, delivered: ok } = await delivered;
    expect(ok).toBe(true);
    const [message] = smtp.messages;
    expect(message?.to).toEqual(['ops@example.com']);
    expect(header(message?.raw ?? '', 'Subject')).toBe('Job nightly failed after 1 attempt(s)');
    const raw = decodeQuotedPrintable(message?.raw ?? '');
    expect(raw).toContain(`<p>disk &lt;full&gt;</p><p>${executionId}</p>`);
    expect(header(raw, 'Message-ID')).toBe(`<${executionId}@chime>`);
  });

  it('retries a 451 reply after the backoff and sends the same Message-ID again', async () => {
    const smtp = await startSmtp({
      reply: (n) => (n === 0 ? { code: 451, text: 'Try again later' } : 'accept'),
    });
    const s = await startScheduler();
    const done = waitFor(s, 'execution:succeeded');
    await s.submitJob(job('flaky-mail', target(smtp)));
    const success = await done;
    expect(success.attempt).toBe(2);
    expect(smtp.messages).toHaveLength(2);
    const ids = smtp.messages.map((m) => header(m.raw, 'Message-ID'));
    expect(ids).toEqual([`<${success.executionId}@chime>`, `<${success.executionId}@chime>`]);
    expect(smtp.messages.map((m) => header(m.raw, 'X-Chime-Attempt'))).toEqual(['1', '2']);
    const execution = await s.getExecution(success.executionId);
    expect(execution?.attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
    expect(execution?.attempts[0]?.error).toMatchObject({
      code: 'CHIME_ERR_TARGET_REJECTED',
      message: expect.stringContaining('451 Try again later'),
    });
  });

  it('fails for good on a 550 reply, without a retry', async () => {
    const smtp = await startSmtp({ reply: () => ({ code: 550, text: 'Mailbox unavailable' }) });
    const s = await startScheduler();
    const dead = waitFor(s, 'execution:dead');
    await s.submitJob(job('bounce', target(smtp)));
    const { attempt, error } = await dead;
    expect(attempt).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    expect(error.name).toBe('PermanentError');
    expect(error.message).toMatch(/^CHIME_ERR_TARGET_REJECTED: .*550 Mailbox unavailable/);
  });

  it('aborts a send the server stalls when the job timeout fires, and closes that connection', async () => {
    const smtp = await startSmtp({ reply: () => 'stall' });
    const s = await startScheduler();
    const dead = waitFor(s, 'execution:dead');
    await s.submitJob(job('stalled', target(smtp), { timeout: 400, retry: { maxAttempts: 1 } }));
    const { executionId } = await dead;
    const timedOutAt = Date.now();
    const execution = await s.getExecution(executionId);
    expect(execution?.attempts.map((a) => a.outcome)).toEqual(['timed_out']);
    expect(smtp.messages).toHaveLength(1);
    // The client hung up on the stalled server; it did not wait for the reply.
    await expect.poll(() => smtp.closedAt.length, { timeout: 5_000 }).toBe(1);
    expect((smtp.closedAt[0] as number) - timedOutAt).toBeLessThan(3_000);
  });

  it("ends the attempt at the target's own timeout", async () => {
    const smtp = await startSmtp({ reply: () => 'stall' });
    const s = await startScheduler();
    const dead = waitFor(s, 'execution:dead');
    await s.submitJob(
      job('target-timeout', target(smtp, { timeout: '300ms' }), {
        timeout: '30s',
        retry: { maxAttempts: 1 },
      }),
    );
    const { executionId, error } = await dead;
    expect(error.code).toBe('CHIME_ERR_ATTEMPT_TIMEOUT');
    expect(error.message).toContain("target's timeout of 300 ms");
    const execution = await s.getExecution(executionId);
    expect(execution?.attempts.map((a) => a.outcome)).toEqual(['timed_out']);
  });

  it('retries when the server cannot be reached (CHIME_ERR_TARGET_UNREACHABLE)', async () => {
    const gone = await startSmtp();
    await gone.close();
    const s = await startScheduler();
    const failed = waitFor(s, 'execution:failed');
    await s.submitJob(job('unreachable', target(gone)));
    const { error, retryAt } = await failed;
    expect(error.code).toBe('CHIME_ERR_TARGET_UNREACHABLE');
    expect(error.message).toContain(`127.0.0.1:${gone.port}`);
    expect(retryAt).not.toBeNull();
  });

  it('logs in with auth.user and auth.pass, or with the credentials of the URL', async () => {
    const login = { user: 'mailer', pass: 's3cr3t-Pa$$' };
    const smtp = await startSmtp({ login });
    const s = await startScheduler();
    const first = waitFor(s, 'execution:succeeded', (e) => e.jobId === 'auth-field');
    await s.submitJob(job('auth-field', target(smtp, { auth: login })));
    await first;
    const second = waitFor(s, 'execution:succeeded', (e) => e.jobId === 'auth-url');
    const url = `smtp://mailer:${encodeURIComponent(login.pass)}@127.0.0.1:${smtp.port}`;
    await s.submitJob(job('auth-url', target(smtp, { smtp: url })));
    await second;
    expect(smtp.messages.map((m) => m.user)).toEqual(['mailer', 'mailer']);
  });

  it('fails a wrong password for good and never writes the password to the logs or the execution', async () => {
    const smtp = await startSmtp({ login: { user: 'mailer', pass: 'right' } });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const s = await startScheduler({ logger: pino({ level: 'trace' }, sink) });
    const dead = waitFor(s, 'execution:dead');
    const secret = 'wrong-Pa55word';
    await s.submitJob(
      job(
        'bad-login',
        target(smtp, {
          smtp: `smtp://mailer:${secret}@127.0.0.1:${smtp.port}`,
          auth: { user: 'mailer', pass: secret },
        }),
      ),
    );
    const { executionId, error, attempt } = await dead;
    expect(attempt).toBe(1);
    expect(error.message).toContain('535');
    const record = JSON.stringify(await s.getExecution(executionId));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(secret);
    expect(record).not.toContain(secret);
  });
});

describe('email executor', () => {
  function context(signal: AbortSignal, payload: unknown = {}): ExecutionContext {
    return {
      executionId: '0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000',
      job: { id: 'direct' } as Job,
      payload,
      fireAt: new Date('2026-03-02T10:00:00Z'),
      attempt: 1,
      signal,
      logger: silent,
    };
  }

  it('rejects at once with the signal reason when the attempt is aborted, and closes the connection', async () => {
    const smtp = await startSmtp({ reply: () => 'stall' });
    const executor = emailExecutor();
    const controller = new AbortController();
    const run = executor.run(target(smtp), context(controller.signal));
    await expect.poll(() => smtp.messages.length, { timeout: 5_000 }).toBe(1);
    const reason = new Error('lease lost');
    const abortedAt = Date.now();
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(500);
    await expect.poll(() => smtp.closedAt.length, { timeout: 5_000 }).toBe(1);
    await executor.close?.();
  });

  it('keeps pooled connections open between sends and closes them in close()', async () => {
    const smtp = await startSmtp();
    const executor = emailExecutor();
    const signal = new AbortController().signal;
    await executor.run(target(smtp), context(signal));
    await executor.run(target(smtp), context(signal));
    expect(smtp.messages).toHaveLength(2);
    expect(smtp.closedAt).toHaveLength(0);
    await executor.close?.();
    await expect.poll(() => smtp.closedAt.length, { timeout: 5_000 }).toBe(1);
  });

  it('speaks STARTTLS, verifying the certificate unless tls.rejectUnauthorized is false', async () => {
    const smtp = await startSmtp({ starttls: true });
    const executor = emailExecutor();
    const signal = new AbortController().signal;
    const error = await executor.run(target(smtp), context(signal)).catch((e: unknown) => e);
    expect(isChimeError(error, 'CHIME_ERR_TARGET_UNREACHABLE')).toBe(true);
    const result = await executor.run(
      target(smtp, { tls: { rejectUnauthorized: false } }),
      context(signal),
    );
    expect(result).toMatchObject({ accepted: ['ops@example.com'] });
    expect(smtp.messages).toHaveLength(1);
    await executor.close?.();
  });

  it('fails for good when no recipient is left once the payload is substituted', async () => {
    const smtp = await startSmtp();
    const executor = emailExecutor();
    const run = executor.run(
      target(smtp, { to: '{{ email }}' }),
      context(new AbortController().signal, { email: null }),
    );
    await expect(run).rejects.toBeInstanceOf(PermanentError);
    await expect(run).rejects.toThrow(/no recipient/);
    expect(smtp.messages).toHaveLength(0);
    await executor.close?.();
  });

  it('marks the URL password, auth.pass and credential headers secret', () => {
    const t: EmailTarget = {
      type: 'email',
      smtp: 'smtps://mailer:hunter2@smtp.example.com:465',
      auth: { user: 'mailer', pass: 'hunter2' },
      from: 'a@example.com',
      to: 'b@example.com',
      subject: 's',
      text: 't',
      headers: { 'X-Api-Key': 'k-123', 'X-Campaign': 'spring' },
    };
    expect(redactSecrets(EmailTargetSchema, t)).toEqual({
      ...t,
      smtp: `smtps://mailer:${REDACTED}@smtp.example.com:465`,
      auth: { user: 'mailer', pass: REDACTED },
      headers: { 'X-Api-Key': REDACTED, 'X-Campaign': 'spring' },
    });
  });
});

describe('email target definitions', () => {
  const ok = {
    type: 'email',
    smtp: 'smtp://127.0.0.1:2525',
    from: 'a@example.com',
    to: 'b@example.com',
    subject: 'hi',
    text: 'body',
  };
  const BAD: BadTarget[] = [
    ['no smtp', without(ok, 'smtp'), 'CHIME_ERR_MISSING_FIELD', '/target/smtp'],
    ['http URL', { ...ok, smtp: 'http://x' }, 'CHIME_ERR_INVALID_INPUT', '/target/smtp'],
    ['no host', { ...ok, smtp: 'smtp://' }, 'CHIME_ERR_INVALID_INPUT', '/target/smtp'],
    ['query', { ...ok, smtp: 'smtp://h?pool=1' }, 'CHIME_ERR_INVALID_INPUT', '/target/smtp'],
    ['no to', without(ok, 'to'), 'CHIME_ERR_MISSING_FIELD', '/target/to'],
    ['empty to', { ...ok, to: [] }, 'CHIME_ERR_INVALID_INPUT', '/target/to'],
    ['no body', without(ok, 'text'), 'CHIME_ERR_MISSING_FIELD', '/target/text'],
    ['unknown field', { ...ok, body: 'x' }, 'CHIME_ERR_UNKNOWN_FIELD', '/target/body'],
    [
      'auth without pass',
      { ...ok, auth: { user: 'u' } },
      'CHIME_ERR_MISSING_FIELD',
      '/target/auth/pass',
    ],
    [
      'tls flag not boolean',
      { ...ok, tls: { rejectUnauthorized: 'no' } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/tls/rejectUnauthorized',
    ],
    ['bad timeout', { ...ok, timeout: 'soon' }, 'CHIME_ERR_DURATION_INVALID', '/target/timeout'],
    [
      'malformed placeholder',
      { ...ok, subject: 'Hi {{ user name }}' },
      'CHIME_ERR_INVALID_INPUT',
      '/target/subject',
    ],
    [
      'malformed placeholder in a list',
      { ...ok, to: ['a@example.com', '{{ }}'] },
      'CHIME_ERR_INVALID_INPUT',
      '/target/to/1',
    ],
    [
      'reserved header',
      { ...ok, headers: { 'Message-ID': '<x@y>' } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/headers/Message-ID',
    ],
    [
      'chime header',
      { ...ok, headers: { 'X-Chime-Attempt': '9' } },
      'CHIME_ERR_INVALID_INPUT',
      '/target/headers/X-Chime-Attempt',
    ],
  ];

  refusesBadTargets(BAD, startScheduler);

  it('accepts a full definition, and the same target as onFailure', async () => {
    const s = await startScheduler();
    const full = {
      ...ok,
      smtp: 'smtps://u:p@smtp.example.com:465',
      auth: { user: 'u', pass: 'p' },
      secure: true,
      tls: { rejectUnauthorized: false, servername: 'smtp.example.com' },
      to: ['a@example.com', '{{ to }}'],
      cc: '{{ cc }}',
      bcc: ['x@example.com'],
      replyTo: 'r@example.com',
      html: '<p>{{ x }}</p> \\{{ literal }}',
      headers: { 'X-Priority': '1' },
      timeout: '10s',
    };
    await expect(
      s.submitJob({ ...job('full', full), onFailure: full as JobDefinition['target'] }),
    ).resolves.toMatchObject({ id: 'full' });
  });
});

describe('email templates', () => {
  const scope: TemplateScope = {
    payload: {
      user: { name: 'Ada', tags: ['a', 'b'], nested: { n: 1 } },
      job: { id: 'shadowed', name: 'payload-job' },
      attempt: 'shadowed',
      n: 0,
    },
    jobId: 'job-1',
    executionId: 'exec-1',
    fireAt: new Date('2026-03-02T10:00:00Z'),
    attempt: 2,
  };

  it("substitutes payload paths and the fire's four exact paths", () => {
    expect(render('{{user.name}} {{ user.tags }} {{ user.nested }} {{ n }}', scope)).toBe(
      'Ada a, b {"n":1} 0',
    );
    expect(render('{{ job.id }}/{{ execution.id }}/{{ fireAt }}/{{ attempt }}', scope)).toBe(
      'job-1/exec-1/2026-03-02T10:00:00.000Z/2',
    );
    expect(render('{{ job.name }} {{ attempt }} {{ user.tags.1 }}', scope)).toBe('payload-job 2 b');
    expect(render('{{ job.id }} {{ user.tags.length }}', scope)).toBe('job-1 2');
  });

  it('reads missing fields, null and inherited properties as the empty string', () => {
    expect(render('[{{ nope }}][{{ user.nope.deeper }}][{{ user.name.length }}]', scope)).toBe(
      '[][][]',
    );
    expect(render('[{{ constructor }}][{{ user.toString }}]', scope)).toBe('[][]');
  });

  it('escapes values in HTML only, and strips line breaks in header fields', () => {
    const s = { ...scope, payload: { v: `<a href="x">'&'</a>\r\nX: y` } };
    expect(render('<b>{{ v }}</b>', s, { html: true })).toBe(
      '<b>&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\r\nX: y</b>',
    );
    expect(render('{{ v }}', s)).toBe(`<a href="x">'&'</a>\r\nX: y`);
    expect(render('S: {{ v }}', s, { header: true })).toBe(`S: <a href="x">'&'</a> X: y`);
  });

  it('writes \\{{ as a literal {{ and refuses malformed placeholders', () => {
    expect(render('\\{{ name }} {{ user.name }}', scope)).toBe('{{ name }} Ada');
    for (const bad of ['{{ }}', '{{ a b }}', '{{ a..b }}', '{{ open', '{{{ a }}}', '{{ -a }}']) {
      expect(() => parseTemplate(bad, '/x'), bad).toThrow(/malformed placeholder/);
    }
    expect(parseTemplate('no placeholders } { }}', '/x')).toEqual([
      { text: 'no placeholders } { }}' },
    ]);
  });
});
