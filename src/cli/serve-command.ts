import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { startService } from '../service/serve.js';
import { processStopSignal, type CliIo } from './io.js';
import { addServiceOptions, flagsOf } from './server-options.js';

/** `chime serve`: the engine and the HTTP API in one process, until SIGTERM or SIGINT. */
export function registerServe(program: Command, io: CliIo): void {
  addServiceOptions(
    program
      .command('serve')
      .description(
        'run the scheduler and its HTTP API (SQLite ./chime.db on 127.0.0.1:8000 by default)',
      ),
  ).action(async (options: Record<string, unknown>) => {
    const config = loadConfig({ flags: flagsOf(options), env: io.env });
    const service = await startService(config, { write: (text: string) => io.stdout.write(text) });
    io.onServing?.(service);
    await (io.stopSignal ?? processStopSignal)();
    await service.close();
  });
}
