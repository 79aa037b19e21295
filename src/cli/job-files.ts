/**
 * Job definitions read from files for `chime apply -f`: a file, or a
 * directory walked recursively for `.json`, `.yaml` and `.yml` files in name
 * order. A file holds one definition, a list of them, or (YAML) several
 * documents of either. Each definition remembers where it came from, so an
 * error the service reports at `/<index>/<field>` names its file and field.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { ChimeError } from '../errors.js';

/** Definitions in the order read, and where each came from (`jobs/a.yaml`, `jobs/list.json#2`). */
export interface JobFiles {
  definitions: unknown[];
  sources: string[];
}

const JOB_FILE = /\.(json|ya?ml)$/i;

/** Reads every definition under the paths (files or directories). */
export function readJobFiles(paths: string[]): JobFiles {
  const files = paths.flatMap((path) => filesUnder(path));
  if (files.length === 0) {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      `no .json, .yaml or .yml file in ${paths.join(', ')}`,
      { path: '/file' },
    );
  }
  const read: JobFiles = { definitions: [], sources: [] };
  for (const file of files) {
    const items = itemsOf(file);
    items.forEach((item, i) => {
      read.definitions.push(item);
      read.sources.push(items.length === 1 ? file : `${file}#${i + 1}`);
    });
  }
  return read;
}

/**
 * The error the service reported for item `/<i>/<field>`, restated with the
 * file it came from and the field within it; other errors as they are.
 */
export function locateError(err: unknown, files: JobFiles): unknown {
  if (!(err instanceof ChimeError) || err.path === undefined) return err;
  const match = /^\/(\d+)(\/.*)?$/.exec(err.path);
  const source = match ? files.sources[Number(match[1])] : undefined;
  if (!match || source === undefined) return err;
  const stated = err.message.replace(/ \(at [^)]*\)$/, '').replaceAll(`/${match[1]}/`, '/');
  return new ChimeError(err.code, `${source}: ${stated}`, { path: match[2] ?? '', cause: err });
}

function filesUnder(path: string): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    throw unreadable(path, err);
  }
  if (!isDirectory) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((name) => JOB_FILE.test(name))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile());
}

/** The definitions of one file. */
function itemsOf(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  const documents = /\.json$/i.test(file) ? [parseJson(text, file)] : parseYaml(text, file);
  return documents.flatMap((document) => {
    if (Array.isArray(document)) return document as unknown[];
    if (typeof document === 'object' && document !== null) return [document];
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      `${file} must hold a job definition (an object) or a list of them`,
      { path: '/file' },
    );
  });
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ChimeError(
      'CHIME_ERR_INVALID_JSON',
      `${file} is not valid JSON: ${(err as Error).message}`,
      { path: '/file' },
    );
  }
}

function parseYaml(text: string, file: string): unknown[] {
  const documents = YAML.parseAllDocuments(text);
  for (const document of documents) {
    const [error] = document.errors;
    if (error) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `${file} is not valid YAML: ${error.message}`,
        {
          path: '/file',
        },
      );
    }
  }
  return documents.map((document) => document.toJS() as unknown).filter((d) => d !== null);
}

function unreadable(path: string, err: unknown): ChimeError {
  return new ChimeError(
    'CHIME_ERR_INVALID_INPUT',
    `cannot read ${path}: ${(err as Error).message}`,
    {
      path: '/file',
    },
  );
}
