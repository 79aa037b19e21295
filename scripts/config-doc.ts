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
`,
);
