/**
 * Writes docs/errors.md from the error registry (src/errors.ts) and the
 * limits (src/model/limits.ts):
 *   npx tsx scripts/errors-doc.ts && npx prettier --write docs/errors.md
 * test/errors.docs.test.ts fails when they disagree.
 */
import { writeFileSync } from 'node:fs';
import { ERRORS } from '../src/errors.js';
import { LIMITS } from '../src/model/limits.js';

const rows = Object.entries(ERRORS).map(
  ([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.description} |`,
);
writeFileSync(
  new URL('../docs/errors.md', import.meta.url),
  `# Error codes

Every error chime throws at a caller is a \`ChimeError\` with one of these stable codes, a message that says what is wrong and where, and — for bad input — the JSON Pointer \`path\` of the offending field. The HTTP API answers each with the status shown. Codes are added, never renamed; a test keeps this list and the registry in \`src/errors.ts\` equal (regenerate with \`npx tsx scripts/errors-doc.ts\`).

| code | HTTP status | meaning |
|---|---|---|
${rows.join('\n')}

## Limits

What chime takes is bounded, the same way in the library, the HTTP API and the CLI; the job JSON Schema the service serves (\`GET /v1/schema/job\`) states the same bounds. Input over a limit is refused with the code shown and the \`path\` of the field; nothing of it is stored.

| what | limit | where |
|---|---|---|
${LIMITS.map((l) => `| ${l.what} | ${l.limit} | ${l.where} |`).join('\n')}
`,
);
