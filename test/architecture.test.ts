/**
 * The shape of `src/`: folders named after DESIGN's parts, layered without
 * cycles, with the model at the ground. Imports are read with TypeScript's
 * own pre-processor (static imports, re-exports and dynamic `import()`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** Every `.ts` file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The part of `src/` a file belongs to: its top folder, or the file itself at the top. */
function partOf(path: string): string {
  return relative(SRC, path).split('/')[0] ?? '';
}

/** Relative imports of every file, as `[from, to]` paths. */
function imports(): [string, string][] {
  return sourceFiles(SRC).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((imported) => imported.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name): [string, string] => [
        file,
        resolve(dirname(file), name.replace(/\.js$/, '.ts')),
      ]),
  );
}

/** The edges between parts, each with one file import that makes it. */
function partGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const [from, to] of imports()) {
    const a = partOf(from);
    const b = partOf(to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Map());
    graph.get(a)?.set(b, `${relative(SRC, from)} → ${relative(SRC, to)}`);
  }
  return graph;
}

/** A cycle of the graph, as the path round it with the imports that make each step, or null. */
function findCycle(graph: Map<string, Map<string, string>>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const cycle = [...path.slice(at), node];
      return cycle.slice(1).map((to, i) => graph.get(cycle[i] ?? '')?.get(to) ?? to);
    }
    if (done.has(node)) return null;
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(node);
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe('the layout of src/', () => {
  it('has no import cycle between its folders', () => {
    expect(findCycle(partGraph())).toBeNull();
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([
      ['a', new Map([['b', 'a.ts → b.ts']])],
      ['b', new Map([['c', 'b.ts → c.ts']])],
      ['c', new Map([['a', 'c.ts → a.ts']])],
    ]);
    expect(findCycle(graph)).toEqual(['a.ts → b.ts', 'b.ts → c.ts', 'c.ts → a.ts']);
  });

  it('keeps the model at the ground: src/model imports only src/model and src/errors.ts', () => {
    const outside = imports()
      .filter(([from]) => partOf(from) === 'model')
      .filter(([, to]) => !['model', 'errors.ts'].includes(partOf(to)))
      .map(([from, to]) => `${relative(SRC, from)} → ${relative(SRC, to)}`);
    expect(outside).toEqual([]);
  });
});
