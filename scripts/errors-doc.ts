/**
 * Writes docs/errors.md from the error registry (src/errors.ts):
 *   npx tsx scripts/errors-doc.ts && npx prettier --write docs/errors.md
 * test/errors.docs.test.ts fails when the two disagree.
 */
import { writeFileSync } from 'node:fs';
import { ERRORS } from '../src/errors.js';

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
`,
);
