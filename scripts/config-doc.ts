/**
 * Writes docs/configuration.md from the option list (src/config/options.ts):
 *   npx tsx scripts/config-doc.ts && npx prettier --write docs/configuration.md
 * test/config.docs.test.ts fails when the two disagree.
 */
import { writeFileSync } from 'node:fs';
import { OPTIONS, type OptionSpec } from '../src/config/options.js';

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

The web timeouts map onto Node's HTTP server: \`--web-read-timeout\` is \`requestTimeout\`,
\`--web-write-timeout\` is the socket's \`connectionTimeout\`, \`--web-idle-timeout\` is
\`keepAliveTimeout\`.
`,
);
