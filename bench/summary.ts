/**
 * From a workload's runs on one store to its row of the table: the median of
 * each figure and the targets met or missed. Never asserts.
 */
import { round2 } from './lib.js';
import type { Figures, Workload } from './workload.js';

export interface TargetCheck {
  target: string;
  value: number | string | undefined;
  met: boolean;
}

export interface Result {
  workload: string;
  store: string;
  /** Median of each numeric figure over the runs; string figures from the median run. */
  median?: Figures;
  runs: Figures[];
  targets: TargetCheck[];
  /** Why there is no figure (the store cannot run it, or a run failed). */
  note?: string;
}

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : round2(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

/** The median of each numeric figure; string figures from the median run by the workload's key. */
export function medianFigures(workload: Workload, runs: Figures[]): Figures {
  const key = workload.key;
  const ranked = [...runs].sort((a, b) => Number(a[key]) - Number(b[key]));
  const middle = ranked[Math.floor((ranked.length - 1) / 2)] ?? {};
  const out: Figures = {};
  for (const name of Object.keys(runs[0] ?? {})) {
    const values = runs.map((r) => r[name]);
    out[name] = values.every((v) => typeof v === 'number')
      ? median(values as number[])
      : (middle[name] ?? '');
  }
  return out;
}

/** The workload's targets that apply to `store`, checked against `figures`. */
export function checkTargets(workload: Workload, store: string, figures: Figures): TargetCheck[] {
  return workload.targets
    .filter((t) => !t.stores || t.stores.includes(store))
    .map((t) => {
      const value = figures[t.figure];
      const n = typeof value === 'number' ? value : Number.NaN;
      const met = t.op === '<=' ? n <= t.value : n >= t.value;
      const bound = t.value.toLocaleString('en-US');
      return { target: `${t.figure} ${t.op === '<=' ? '≤' : '≥'} ${bound}${t.unit}`, value, met };
    });
}
