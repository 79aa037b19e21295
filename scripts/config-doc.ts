/**
 * Writes docs/configuration.md from the option list (src/config/options.ts):
 *   npx tsx scripts/config-doc.ts && npx prettier --write docs/configuration.md
 * test/config.docs.test.ts fails when the two disagree.
 */
import { writeFileSync } from 'node:fs';
import { MIN_TOKEN_LENGTH, OPTIONS, type OptionSpec } from '../src/config/options.js';

const rows = (OPTIONS as readonly OptionSpec[]).map(
  (o) =>
    `| \`--${o.name}\` | \`${o.env}\` | ${o.default === undefined ? '—' : `\`${o.default}\``} | ${o.doc}${o.secret ? ' (secret: redacted by `chime config`)' : ''} |`,
);
writeFileSync(
  new URL('../docs/configuration.md', import.meta.url),
  `# Configuration of \`chime serve\`

Every option is a flag and a \`CHIME_*\` environment variable with the same name. A flag wins
over the variable, the variable over the default. Durations are written like \`500ms\`, \`5s\`,
\`2m\`; sizes like \`512kb\`, \`1mb\`; booleans \`true\`/\`false\`. Everything is validated at start,
and an error names the option, its flag and its variable. \`chime config\` prints every option,
its variable, its value and where the value came from, secrets redacted.

| flag | environment variable | default | meaning |
|---|---|---|---|
${rows.join('\n')}

A token (\`--token\`, \`--read-token\`, or the file of either) shorter than ${MIN_TOKEN_LENGTH} characters is
refused at start. A read-only token is only accepted beside \`--token\` and must differ from it.
The dashboard's files are public (they hold no data; the page asks for a token when the service
has one); \`--dashboard=false\` leaves only the API. \`/v1/events\` streams are exempt from
\`--web-write-timeout\` (their heartbeats keep them honest).

\`--postgres-pool-size\` is the Postgres store's \`maxConnections\`: the pool its
statements run on. Each instance holds one connection more for LISTEN and one for its
instance lock.

The web timeouts map onto Node's HTTP server: \`--web-read-timeout\` is \`requestTimeout\`,
\`--web-write-timeout\` is the socket's \`connectionTimeout\`, \`--web-idle-timeout\` is
\`keepAliveTimeout\`.

## The NATS store

\`--database-url nats://host:4222[,host2:4222…][?parameters]\` (or \`tls://…\`, which requires
TLS) runs chime on NATS JetStream KV, many instances without a database; the server must be
nats-server 2.9 or later with JetStream enabled, else the start fails at once with
\`CHIME_ERR_STORE_JETSTREAM_UNAVAILABLE\`. Credentials: \`user:password@\` in the URL (redacted by
\`chime config\`), or a \`.creds\` file. The URL's parameters, and the library's
\`natsStore({ … })\` options they set:

| URL parameter    | \`natsStore\` option | default | meaning                                                                                                |
| ---------------- | ------------------ | ------- | ------------------------------------------------------------------------------------------------------ |
| (hosts)          | \`servers\`          | —       | the servers, a string or a list                                                                        |
| \`prefix\`         | \`prefix\`           | \`chime\` | prefix of the bucket names: \`<prefix>_jobs\`, \`<prefix>_instances\`, \`<prefix>_meta\` |
| \`replicas\`       | \`replicas\`         | \`1\`     | replicas of every bucket (3 on a cluster of three servers: the loss of one loses nothing)              |
| \`creds\`          | \`credentialsFile\`  | —       | path of a \`.creds\` file (user JWT and NKey seed)                                                       |
| \`tls-ca\`         | \`tlsCaFile\`        | —       | path of the CA that signed the servers' certificates (TLS then required)                               |
| \`user:password@\` | \`user\`, \`pass\`     | —       | user and password                                                                                      |
| —                | \`token\`            | —       | an authentication token (library only: a token in a URL would not be redacted)                         |
| —                | \`timeoutMs\`        | \`10000\` | longest time connecting and each request may take (each send of a job's write: at most 2 s, sent again for up to 20 s while a cluster elects a leader) |
| \`--migrate\`      | \`migrate\`          | \`true\`  | create the buckets at start (false: refuse to start without them; \`chime migrate\` creates them)        |

The weedbox scheduler module's NATS-mode settings, and what became of them:

| weedbox setting                    | chime                                                                                                        |
| ---------------------------------- | ------------------------------------------------------------------------------------------------------------ |
| stream name, subject prefix        | \`prefix\` (chime keeps no stream of deliveries: each job's document in KV is its queue, see the design notes) |
| job bucket, execution bucket names | \`prefix\` (\`<prefix>_jobs\`: a job's document and a key per execution, finished ones included) |
| consumer name                      | none: instances claim by KV compare-and-set, no durable consumer                                             |
| duplicates window                  | none: one execution per fire is a compare-and-set of the job's document, not a de-duplication window         |
| replicas                           | \`replicas\`                                                                                                   |
| reconciler interval and grace      | \`--poll-interval\` and the misfire policy; the KV watch wakes instances at once                               |
| retry budgets                      | the job's \`retry\` policy                                                                                     |
| start-up timeouts                  | \`timeoutMs\`                                                                                                  |
`,
);
