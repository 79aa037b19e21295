/**
 * lone: 100 sequential one-shot fires on an otherwise idle store, each
 * submitted 30 ms ahead of its instant; lag = handler start − fire instant.
 * What a single fire costs when nothing else is going on.
 */
import { once } from '../../src/index.js';
import { lagFigures, sleep } from '../lib.js';
import type { StoreCase } from '../stores.js';
import { withScheduler, type Figures, type RunContext, type Workload } from '../workload.js';

const FIRES = 100;

async function measure(storeCase: StoreCase, { wall }: RunContext): Promise<Figures> {
  return withScheduler(storeCase, { concurrency: 10 }, wall, async (scheduler, lags) => {
    for (let i = 0; i < FIRES; i++) {
      await scheduler.submitJob({ id: `lone-${i}`, schedule: once(new Date(Date.now() + 30)) });
      const deadline = Date.now() + 5_000;
      while (lags.size <= i && Date.now() < deadline) await sleep(2);
    }
    return { fires: lags.size, ...lagFigures([...lags.values()]) };
  });
}

export const lone: Workload = {
  name: 'lone',
  describe: () =>
    '100 sequential one-shot fires, idle store; lag = handler start − fire instant, ms',
  key: 'lag p99',
  targets: [{ figure: 'lag p99', op: '<=', value: 5, unit: ' ms' }],
  runs: (opts) => opts.runs,
  run: measure,
};
