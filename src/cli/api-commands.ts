import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import YAML from 'yaml';
import { ChimeError } from '../errors.js';
import type { Execution } from '../model/execution.js';
import type { Instance } from '../model/instance.js';
import type { Job } from '../scheduler/scheduler.js';
import type { Page } from '../scheduler/scheduler.js';
import type { BackfillResult } from '../scheduler/backfill.js';
import { ApiClient } from './client.js';
import type { CliIo } from './io.js';
import { table } from './table.js';

/** The options every command that talks to a running service has. */
export interface ApiOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** Adds `--url`, `--token` and `--json` to a command that talks to a running service. */
export function apiCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option('--url <url>', 'the chime service (CHIME_URL, default http://127.0.0.1:8000)')
    .option('--token <token>', 'bearer token (CHIME_TOKEN)')
    .option('--json', 'print JSON');
}

/** The client of the service the options name. */
export function client(options: ApiOptions, io: CliIo): ApiClient {
  const token = options.token ?? io.env['CHIME_TOKEN'];
  return new ApiClient({
    url: options.url ?? io.env['CHIME_URL'] ?? 'http://127.0.0.1:8000',
    ...(token ? { token } : {}),
  });
}

/** Prints one object: JSON with --json, else YAML (easier to read). */
export function show(io: CliIo, options: ApiOptions, value: unknown): void {
  io.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : YAML.stringify(value));
}

const at = (iso: string | null | undefined) => (iso ? iso.replace('.000Z', 'Z') : '-');
const id = (value: string) => encodeURIComponent(value);

/** `chime jobs list|get|put|rm|pause|resume|trigger` against a running service; returns `jobs`. */
export function registerJobs(program: Command, io: CliIo): Command {
  const jobs = program.command('jobs').description('manage the jobs of a running service');

  apiCommand(jobs, 'list', 'list jobs (a page; --cursor for the next)')
    .option('--metadata <key=value...>', 'exact metadata matches')
    .option('--paused [bool]', 'only paused (true) or unpaused (false) jobs')
    .option('--target-type <type>', 'only jobs with this target type')
    .option('--limit <n>', 'page size')
    .option('--cursor <cursor>', 'the next page')
    .action(
      async (
        options: ApiOptions & {
          metadata?: string[];
          paused?: string | boolean;
          targetType?: string;
          limit?: string;
          cursor?: string;
        },
      ) => {
        const query = new URLSearchParams();
        for (const pair of options.metadata ?? []) {
          const [key, ...value] = pair.split('=');
          if (!key || value.length === 0)
            throw new ChimeError(
              'CHIME_ERR_INVALID_INPUT',
              `--metadata takes key=value, got "${pair}"`,
              { path: '/metadata' },
            );
          query.append(`metadata.${key}`, value.join('='));
        }
        if (options.paused !== undefined) query.set('paused', String(options.paused));
        if (options.targetType) query.set('targetType', options.targetType);
        if (options.limit) query.set('limit', options.limit);
        if (options.cursor) query.set('cursor', options.cursor);
        const page = await client(options, io).request<Page<Job>>('GET', `/v1/jobs?${query}`);
        if (options.json) return show(io, options, page);
        const rows = page.items.map((j) => [
          j.id,
          describeSchedule(j.schedule) +
            (j.maxFires === undefined ? '' : `, ${j.fireCount} of ${j.maxFires} fires`),
          j.target.type,
          j.paused ? 'paused' : at(j.nextFireAt),
          j.lastOutcome?.status ?? '-',
          at(j.stats.lastSuccessAt),
          `${j.stats.succeeded}/${j.stats.failed}/${j.stats.missed}/${j.stats.skipped}`,
          j.staleSince ? `since ${at(j.staleSince)}` : '',
        ]);
        const header = [
          'ID',
          'SCHEDULE',
          'TARGET',
          'NEXT FIRE',
          'LAST',
          'LAST SUCCESS',
          'OK/FAIL/MISS/SKIP',
          'STALE',
        ];
        io.stdout.write(table(header, rows));
        if (page.nextCursor) io.stdout.write(`more: --cursor ${page.nextCursor}\n`);
      },
    );

  apiCommand(jobs, 'get', 'show one job')
    .argument('<id>')
    .action(async (jobId: string, options: ApiOptions) => {
      show(io, options, await client(options, io).request<Job>('GET', `/v1/jobs/${id(jobId)}`));
    });

  apiCommand(jobs, 'put', 'create or update a job from a JSON or YAML file (idempotent)')
    .requiredOption('-f, --file <path>', 'the job definition (.json, .yaml or .yml; - for stdin)')
    .option('--id <id>', 'the job id (default: the file’s id)')
    .option('--create', 'create only: fail (exit code 4) when the id is taken')
    .action(async (options: ApiOptions & { file: string; id?: string; create?: boolean }) => {
      const definition = readDefinition(options.file);
      const jobId =
        options.id ?? (typeof definition['id'] === 'string' ? definition['id'] : undefined);
      if (!jobId)
        throw new ChimeError(
          'CHIME_ERR_MISSING_FIELD',
          'the job needs an id: put one in the file or pass --id',
          { path: '/id' },
        );
      const body = { ...definition, id: jobId };
      const api = client(options, io);
      show(
        io,
        options,
        options.create
          ? await api.request<Job>('POST', '/v1/jobs', body)
          : await api.request<Job>('PUT', `/v1/jobs/${id(jobId)}`, body),
      );
    });

  apiCommand(jobs, 'rm', 'delete a job and its executions')
    .argument('<id>')
    .action(async (jobId: string, options: ApiOptions) => {
      await client(options, io).request('DELETE', `/v1/jobs/${id(jobId)}`);
      if (options.json) show(io, options, { deleted: jobId });
      else io.stdout.write(`deleted ${jobId}\n`);
    });

  for (const verb of ['pause', 'resume'] as const) {
    apiCommand(jobs, verb, `${verb} a job`)
      .argument('<id>')
      .action(async (jobId: string, options: ApiOptions) => {
        show(
          io,
          options,
          await client(options, io).request<Job>('POST', `/v1/jobs/${id(jobId)}/${verb}`),
        );
      });
  }

  apiCommand(jobs, 'trigger', 'run a job now, once')
    .argument('<id>')
    .option('--payload <json>', 'a payload for this run (JSON)')
    .action(async (jobId: string, options: ApiOptions & { payload?: string }) => {
      const body =
        options.payload === undefined ? {} : { payload: parseJson(options.payload, '/payload') };
      show(
        io,
        options,
        await client(options, io).request<Execution>('POST', `/v1/jobs/${id(jobId)}/trigger`, body),
      );
    });

  apiCommand(jobs, 'backfill', 'add the fires of a past window not yet in the ledger')
    .argument('<id>')
    .requiredOption('--from <instant>', 'the window’s first instant (ISO 8601 with an offset)')
    .requiredOption('--to <instant>', 'the window’s last instant, not after now')
    .option('--dry-run', 'list the fires it would add; add none')
    .action(
      async (
        jobId: string,
        options: ApiOptions & { from: string; to: string; dryRun?: boolean },
      ) => {
        const body = { from: options.from, to: options.to, dryRun: options.dryRun === true };
        const result = await client(options, io).request<BackfillResult>(
          'POST',
          `/v1/jobs/${id(jobId)}/backfill`,
          body,
        );
        if (options.json) return show(io, options, result);
        const verb = result.dryRun ? 'would add' : 'added';
        io.stdout.write(
          `${verb} ${result.fires.length} fire(s); ${result.existing.length} already in the ledger\n`,
        );
        for (const fire of result.fires) io.stdout.write(`${fire}\n`);
      },
    );
  return jobs;
}

/** `chime executions list|get` against a running service. */
export function registerExecutions(program: Command, io: CliIo): void {
  const executions = program
    .command('executions')
    .description('inspect executions (the fire ledger) of a running service');

  apiCommand(executions, 'list', 'list executions, newest first')
    .option('--job <id>', 'only this job’s')
    .option('--status <status>', 'only this status')
    .option('--limit <n>', 'page size')
    .option('--cursor <cursor>', 'the next page')
    .action(
      async (
        options: ApiOptions & { job?: string; status?: string; limit?: string; cursor?: string },
      ) => {
        const query = new URLSearchParams();
        if (options.status) query.set('status', options.status);
        if (options.limit) query.set('limit', options.limit);
        if (options.cursor) query.set('cursor', options.cursor);
        const path = options.job ? `/v1/jobs/${id(options.job)}/executions` : '/v1/executions';
        const page = await client(options, io).request<Page<Execution>>('GET', `${path}?${query}`);
        if (options.json) return show(io, options, page);
        const rows = page.items.map((e) => [
          e.id,
          e.jobId,
          at(e.fireAt),
          e.status,
          String(e.attempt),
          (e.error?.message ?? e.reason?.message ?? '').slice(0, 60),
        ]);
        const header = ['ID', 'JOB', 'FIRE AT', 'STATUS', 'ATTEMPT', 'ERROR OR REASON'];
        io.stdout.write(table(header, rows));
        if (page.nextCursor) io.stdout.write(`more: --cursor ${page.nextCursor}\n`);
      },
    );

  apiCommand(executions, 'get', 'show one execution with its attempts')
    .argument('<id>')
    .action(async (executionId: string, options: ApiOptions) => {
      show(
        io,
        options,
        await client(options, io).request<Execution>('GET', `/v1/executions/${id(executionId)}`),
      );
    });
}

function describeSchedule(schedule: Job['schedule']): string {
  if (schedule.kind === 'cron')
    return `cron ${schedule.expr}${schedule.tz ? ` ${schedule.tz}` : ''}`;
  if (schedule.kind === 'interval') return `every ${String(schedule.every)}`;
  if (schedule.kind === 'custom') return `custom ${schedule.name}`;
  return `once ${at(schedule.at)}`;
}

function readDefinition(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      `cannot read ${file}: ${(err as Error).message}`,
      { path: '/file' },
    );
  }
  const value: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text, file) : parseJson(text, '/file');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      `${file} must hold one job definition (an object)`,
      { path: '/file' },
    );
  }
  return value as Record<string, unknown>;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ChimeError('CHIME_ERR_INVALID_JSON', `not valid JSON: ${(err as Error).message}`, {
      path,
    });
  }
}

function parseYaml(text: string, file: string): unknown {
  try {
    return YAML.parse(text);
  } catch (err) {
    throw new ChimeError(
      'CHIME_ERR_INVALID_INPUT',
      `${file} is not valid YAML: ${(err as Error).message}`,
      { path: '/file' },
    );
  }
}

/** `chime instances`: the live instances of a running service's store. */
export function registerInstances(program: Command, io: CliIo): void {
  apiCommand(
    program,
    'instances',
    'list the live instances of the store, with their last sign of life',
  ).action(async (options: ApiOptions) => {
    const page = await client(options, io).request<{ items: Instance[] }>('GET', '/v1/instances');
    if (options.json) return show(io, options, page);
    const rows = page.items.map((i) => [
      i.id,
      `${i.host}:${i.pid}`,
      i.version,
      at(i.startedAt),
      at(i.lastSeenAt),
      `${i.running}/${i.capacity}`,
      String(i.held),
    ]);
    io.stdout.write(
      table(['ID', 'PROCESS', 'VERSION', 'STARTED', 'LAST SEEN', 'RUNNING', 'HELD'], rows),
    );
  });
}
