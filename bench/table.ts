/**
 * The report as text: a heading with the date, command and machine, then one
 * table per workload — a row per store with the median figures, the key
 * figure of every run when there are several, and the targets met or missed.
 */
import type { Environment } from './environment.js';
import type { Result } from './summary.js';
import type { Options, Workload } from './workload.js';

export function format(value: number | string | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Number.isNaN(value)) return 'n/a';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Prints the results of every workload that has any, in the order of `workloads`. */
export function printTable(
  results: Result[],
  workloads: readonly Workload[],
  opts: Options,
  env: Environment,
): void {
  console.log(`chime bench — ${env.date}`);
  console.log(`command: ${env.command}`);
  console.log(`machine: ${env.machine}`);
  if (env.baseline) console.log(`baseline: ${env.baseline}`);
  for (const workload of workloads) {
    const group = results.filter((r) => r.workload === workload.name);
    if (group.length > 0) printWorkload(workload, group, opts);
  }
}

/** One workload's table: heading, column names, and a row (or a note) per store. */
function printWorkload(workload: Workload, group: Result[], opts: Options): void {
  const runs = workload.runs(opts);
  const columns = [...new Set(group.flatMap((r) => Object.keys(r.median ?? {})))];
  const header = ['store', ...columns];
  const lines = group.map((r) =>
    r.median ? [r.store, ...columns.map((c) => format(r.median?.[c]))] : [r.store],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  console.log(
    `\n${workload.name} — ${workload.describe(opts)} (median of ${runs} run${runs === 1 ? '' : 's'})`,
  );
  console.log(header.map((h, i) => h.padEnd(widths[i] ?? 0)).join('  '));
  group.forEach((r, i) => {
    if (r.note !== undefined) {
      console.log(`${r.store.padEnd(widths[0] ?? 0)}  ${r.note}`);
      return;
    }
    const line = lines[i] ?? [];
    console.log(line.map((c, k) => c.padEnd(widths[k] ?? 0)).join('  '));
    printRunsAndTargets(workload, r, ' '.repeat((widths[0] ?? 0) + 2));
  });
}

/** Under a store's row: the key figure of each run (when several) and the targets. */
function printRunsAndTargets(workload: Workload, r: Result, indent: string): void {
  const key = workload.key;
  if (r.runs.length > 1) {
    console.log(`${indent}runs (${key}): ${r.runs.map((f) => format(f[key])).join(', ')}`);
  }
  const checks = r.targets.map(
    (c) => `${c.target}: ${c.met ? 'met' : 'MISSED'} (${format(c.value)})`,
  );
  console.log(`${indent}targets: ${checks.length > 0 ? checks.join(' · ') : 'none set'}`);
}
