/**
 * Summarises a `node --cpu-prof` profile of a bench run over its busy window:
 * time per fire by category (innermost match on each sample's stack), by
 * chime phase (inclusive), and the top functions by self and inclusive time.
 *
 *   node --cpu-prof --cpu-prof-interval 250 --cpu-prof-dir=/tmp/prof/drain-sqlite \
 *     .bench/bench/run.js --only=drain --stores=sqlite --runs=1 --marks=/tmp/prof/drain-sqlite/marks.jsonl
 *   node .bench/bench/cpu-profile.js /tmp/prof/drain-sqlite [top] [workload]
 *
 * The directory holds one `.cpuprofile` and the `marks.jsonl` that run.ts
 * wrote (`--marks`); the last mark is the window analysed, or the last of
 * `workload` (the burst writes `burst`, T − 2.5 s to its last start, then
 * `burst-end`, T to its last outcome recorded). Times are sampled
 * wall time of the main thread: `(idle)` is time it waited (for Postgres, for
 * a timer); a store server's own CPU is in the mark (`storeCpuMs`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Mark } from './lib.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

type Test = (frame: CallFrame) => boolean;

/** Categories, tried in order on each frame from the leaf up; the first frame that matches one decides. */
const CATEGORIES: [string, Test][] = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle (waiting)', (f) => f.functionName === '(idle)'],
  ['JSON parse/stringify', (f) => f.url === '' && /^(parse|stringify)$/.test(f.functionName)],
  ['pino', (f) => /node_modules\/pino\//.test(f.url)],
  [
    'AbortController / AbortSignal',
    (f) => /abort_controller|internal\/event_target/.test(f.url) || /^Abort/.test(f.functionName),
  ],
  [
    'timers (setTimeout/clearTimeout/setImmediate)',
    (f) =>
      /internal\/timers|^node:timers$|^timers$/.test(f.url) ||
      /^(setTimeout|clearTimeout|setImmediate)$/.test(f.functionName),
  ],
  ['event emission', (f) => /engine\/events\.js$/.test(f.url) || f.url === 'node:events'],
  ['uuid', (f) => /node_modules\/uuid\//.test(f.url)],
  ['better-sqlite3 (JS side)', (f) => /node_modules\/better-sqlite3\//.test(f.url)],
  ['pg driver', (f) => /node_modules\/pg(-protocol|-pool|-types)?\//.test(f.url)],
  [
    'sockets / streams',
    (f) =>
      /internal\/(stream_base_commons|streams|net)|^node:net$/.test(f.url) ||
      /^(writev|writeGeneric|writevGeneric|onStreamRead)$/.test(f.functionName),
  ],
  [
    'store row mapping',
    (f) => /stores\/(sqlite\/statements|postgres\/(rows|sql))\.js$/.test(f.url),
  ],
  // better-sqlite3 runs SQLite inside the calling frame: a statement's time is its caller's self time.
  ['store (incl. SQLite statements)', (f) => /\/stores\//.test(f.url)],
  [
    'runner / attempt',
    (f) =>
      /engine\/(runner|attempt-context|outcome|policies|leases|group-commit)\.js$|\/executors\//.test(
        f.url,
      ),
  ],
  [
    'planner / schedules',
    (f) => /engine\/(planner|misfire|job-schedule)\.js$|\/schedules\//.test(f.url),
  ],
  [
    'engine cycle / timer',
    (f) => /engine\/(timer|engine|claimer|reaper|clock)\.js$|tinyqueue/.test(f.url),
  ],
  ['bench harness', (f) => /\/bench\//.test(f.url)],
  [
    'promises / microtasks',
    (f) =>
      /task_queues|async_hooks|promise/i.test(f.url) ||
      /^(runMicrotasks|processTicksAndRejections)$/.test(f.functionName),
  ],
];

/** chime's entry points: a sample counts toward every phase on its stack. */
const PHASES: [string, RegExp][] = [
  ['store.executionsClaim', /^executionsClaim .*stores\//],
  ['store.executionsStart', /^executionsStart .*stores\//],
  ['store.executionsFinish', /^executionsFinish .*stores\//],
  ['store.jobsAdvance (planning write)', /^jobsAdvance .*stores\//],
  ['store.jobsDue', /^jobsDue .*stores\//],
  ['store.nextDueAt', /^nextDueAt .*stores\//],
  ['Planner.planBatch', /^planBatch .*engine\/planner/],
  ['Runner.execute', /^execute .*engine\/runner/],
  ['Runner.runTarget (AbortController, timeout, handler)', /^runTarget .*engine\/runner/],
  ['Runner.conclude', /^conclude .*engine\/runner/],
  ['decideOutcome', /^decideOutcome .*engine\/outcome/],
  ['GroupCommit.flush', /^flush .*engine\/group-commit/],
  ['Timer.wake', /^wake .*engine\/timer/],
];

function label(frame: CallFrame): string {
  const url = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\.bench\//, '');
  return `${frame.functionName || '(anonymous)'} ${url}:${frame.lineNumber + 1}`;
}

function main(): void {
  const dir = process.argv[2];
  if (!dir)
    throw new Error(
      'usage: cpu-profile.js <directory with a .cpuprofile and marks.jsonl> [top] [workload]',
    );
  const top = Number(process.argv[3] ?? 25);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const marks = readFileSync(join(dir, 'marks.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Mark)
    .filter((m) => process.argv[4] === undefined || m.workload === process.argv[4]);
  const mark = marks.at(-1);
  if (!mark) throw new Error(`no mark ${process.argv[4] ?? ''} in ${dir}`);

  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const categories = new Map<string, number>();
  const phases = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, ms: number) =>
    map.set(key, (map.get(key) ?? 0) + ms);
  let sampled = 0;
  let waiting = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < mark.startUs || at > mark.endUs) return;
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = nodes.get(id);
    if (!leaf) return;
    sampled += ms;
    if (leaf.callFrame.functionName === '(idle)') waiting += ms;
    add(self, label(leaf.callFrame), ms);
    const seen = new Set<string>();
    const seenPhases = new Set<string>();
    let category: string | undefined;
    for (
      let node: ProfileNode | undefined = leaf;
      node;
      node = nodes.get(parent.get(node.id) ?? -1)
    ) {
      const key = label(node.callFrame);
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, ms);
      }
      category ??= CATEGORIES.find(([, test]) => test(node.callFrame))?.[0];
      for (const [phase, pattern] of PHASES) {
        if (!seenPhases.has(phase) && pattern.test(key)) {
          seenPhases.add(phase);
          add(phases, phase, ms);
        }
      }
    }
    add(categories, category ?? '(program) / other native', ms);
  });

  const fires = mark.fires;
  const perFire = (ms: number) => ((ms * 1000) / fires).toFixed(1).padStart(8);
  const share = (ms: number) => ((100 * ms) / sampled).toFixed(1).padStart(5);
  const list = (title: string, map: Map<string, number>, limit = Infinity) => {
    console.log(`\n## ${title} (µs per fire, share of the window)`);
    for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      console.log(`${perFire(ms)}  ${share(ms)}%  ${key}`);
    }
  };
  const windowMs = (mark.endUs - mark.startUs) / 1000;
  console.log(
    `# ${basename(dir)}: ${mark.workload} on ${mark.store}, window ${windowMs.toFixed(0)} ms, ${fires} fires`,
  );
  console.log(
    `main thread busy ${(sampled - waiting).toFixed(0)} ms = ${perFire(sampled - waiting).trim()} µs/fire` +
      (mark.instanceCpuMs === undefined
        ? ''
        : `; process CPU ${mark.instanceCpuMs.toFixed(0)} ms`) +
      (mark.storeCpuMs === undefined
        ? ''
        : `; store server CPU ${mark.storeCpuMs} ms = ${perFire(mark.storeCpuMs).trim()} µs/fire`),
  );
  list('categories', categories);
  list('phases, inclusive', phases);
  list(`top ${top} by self time`, self, top);
  list(`top ${top} by inclusive time`, inclusive, top);
}

main();
