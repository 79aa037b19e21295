import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { storeFromUrl } from '../service/store-from-url.js';
import type { CliIo } from './io.js';

/** `chime migrate`: applies the store's pending migrations and says which. */
export function registerMigrate(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('apply pending store migrations (serve applies them too, unless --migrate=false)')
    .option(
      '--database-url <url>',
      'a SQLite file path, a postgres:// URL or a nats:// URL (CHIME_DATABASE_URL)',
    )
    .action(async (options: { databaseUrl?: string }) => {
      const flags =
        options.databaseUrl === undefined ? {} : { 'database-url': options.databaseUrl };
      const config = loadConfig({ flags, env: io.env });
      const store = storeFromUrl(config.get('database-url'), { migrate: true }) as {
        migrate?: () => Promise<number[]>;
      };
      const applied = (await store.migrate?.()) ?? [];
      io.stdout.write(
        applied.length === 0
          ? 'the store is up to date\n'
          : `applied migration(s) ${applied.join(', ')}\n`,
      );
    });
}
