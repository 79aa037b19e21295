import { readFileSync } from 'node:fs';

/** The version of chime that runs (package.json's), as the CLI and the registry of instances show it. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
