/**
 * A receiver that tells chime's calls from anyone else's: chime signs each
 * HTTP request the Standard Webhooks way, and the receiver verifies it.
 *
 *   tsx examples/signed-webhooks.ts [deliveries]   # default 3
 *
 * It starts a receiver on 127.0.0.1 that checks every request with the
 * `standardwebhooks` package (any Standard Webhooks library, in any language,
 * does the same), sends it one forged request, then runs a job that calls it
 * every second, signed with the secret they share, until it has verified
 * `deliveries` calls.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { createScheduler, every, memoryStore } from '../src/index.js';

const deliveries = Number(process.argv[2] ?? 3);

// The secret both sides hold: made once (24 to 64 random bytes), kept with
// the receiver and given to chime in the job's target (or --http-signing-secret).
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const verifier = new Webhook(secret);

const done = new Set<string>();
let allDone!: () => void;
const finished = new Promise<void>((resolve) => (allDone = resolve));

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

const receiver = createServer((req, res) => {
  void readBody(req).then((body) => {
    try {
      // Throws unless a signature matches the body (verify it as it came, before
      // parsing) and the timestamp is within five minutes of now.
      const payload = verifier.verify(body, req.headers as Record<string, string>);
      const id = String(req.headers['webhook-id']); // the execution id: the same on every retry
      if (!done.has(id)) {
        done.add(id);
        console.log(`verified ${id}: ${JSON.stringify(payload)}`);
      }
      res.writeHead(204).end();
      if (done.size === deliveries) allDone();
    } catch (err) {
      console.log(`refused: ${(err as Error).message}`);
      res.writeHead(401).end();
    }
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/chime`;
console.log(`receiver on ${url}`);

// Anyone may send a request; without the secret it cannot be signed.
await fetch(url, {
  method: 'POST',
  body: '{"forged":true}',
  headers: {
    'webhook-id': 'msg_forged',
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${randomBytes(32).toString('base64')}`,
  },
});

const scheduler = createScheduler({ store: memoryStore() });
await scheduler.start();
await scheduler.ensureJob({
  id: 'signed-ping',
  schedule: every('1s'),
  target: { type: 'http', url, signing: { secret } },
  payload: { ping: true },
});

await finished;
await scheduler.stop();
receiver.close();
receiver.closeAllConnections();
console.log('stopped');
