import type { Command } from 'commander';
import { ChimeError } from '../errors.js';
import { formatSelector, parseSelector, type Selector } from '../model/selector.js';
import type { ApplyReport } from '../scheduler/apply.js';
import type { ClearReport } from '../scheduler/scheduler.js';
import { apiCommand, client, show, type ApiOptions } from './api-commands.js';
import { ExitCode, EXIT_DRIFT } from './exit-code.js';
import type { CliIo } from './io.js';
import { locateError, readJobFiles, type JobFiles } from './job-files.js';

interface ApplyFlags extends ApiOptions {
  file: string[];
  prune?: boolean;
  selector?: string;
  dryRun?: boolean;
  exitCode?: boolean;
}

/** `chime apply -f <dir|file>`: jobs as code, with a drift report. */
export function registerApply(program: Command, io: CliIo): void {
  apiCommand(
    program,
    'apply',
    'bring the service to the job definitions of files (one transaction); print the drift',
  )
    .requiredOption(
      '-f, --file <path...>',
      'a .json, .yaml or .yml file of one job or a list, or a directory of them',
    )
    .option('--prune', 'also remove the jobs --selector matches that are not in the files')
    .option('--selector <key=value,...>', 'the metadata of the jobs these files own (for --prune)')
    .option('--dry-run', 'print the drift report, change nothing')
    .option('--exit-code', `exit ${EXIT_DRIFT} when there is drift (for CI)`)
    .action(async (flags: ApplyFlags) => {
      const query = new URLSearchParams();
      if (flags.prune) query.set('prune', formatSelector(pruneSelector(flags)));
      else if (flags.selector !== undefined)
        throw new ChimeError('CHIME_ERR_INVALID_INPUT', '--selector is for --prune', {
          path: '/selector',
        });
      if (flags.dryRun) query.set('dryRun', 'true');
      const files = readJobFiles(flags.file);
      if (flags.prune) warnUnowned(io, files, pruneSelector(flags));
      const report = await client(flags, io)
        .request<ApplyReport>('PUT', `/v1/jobs?${query}`, files.definitions)
        .catch((err: unknown) => Promise.reject(locateError(err, files)));
      if (flags.json) show(io, flags, report);
      else io.stdout.write(driftReport(report));
      const drift = report.create.length + report.change.length + report.remove.length;
      if (flags.exitCode && drift > 0) throw new ExitCode(EXIT_DRIFT);
    });
}

/** `chime jobs clear --selector k=v`: removes every job the selector matches. */
export function registerClear(jobs: Command, io: CliIo): void {
  apiCommand(jobs, 'clear', 'remove every job whose metadata matches --selector')
    .requiredOption('--selector <key=value,...>', 'the metadata every removed job has')
    .option('--dry-run', 'list the jobs it would remove, remove nothing')
    .option('--yes', 'remove them (without it, clear only lists them and refuses)')
    .action(async (flags: ApiOptions & { selector: string; dryRun?: boolean; yes?: boolean }) => {
      const selector = formatSelector(parseSelector(flags.selector, '/selector'));
      const preview = !flags.yes || flags.dryRun;
      const query = new URLSearchParams({ selector, ...(preview ? { dryRun: 'true' } : {}) });
      const report = await client(flags, io).request<ClearReport>('DELETE', `/v1/jobs?${query}`);
      if (flags.json) show(io, flags, report);
      else io.stdout.write(clearReport(report));
      if (!flags.yes && !flags.dryRun && report.remove.length > 0) {
        throw new ChimeError(
          'CHIME_ERR_CONFIRMATION_REQUIRED',
          `nothing was removed: run again with --yes to remove these ${report.remove.length} jobs`,
        );
      }
    });
}

/**
 * Warns of definitions without the prune selector's metadata: a later apply
 * whose files no longer hold them will not remove them.
 */
function warnUnowned(io: CliIo, files: JobFiles, selector: Selector): void {
  files.definitions.forEach((definition, i) => {
    const metadata = (definition as { metadata?: Record<string, unknown> }).metadata ?? {};
    if (Object.entries(selector).every(([key, value]) => metadata[key] === value)) return;
    io.stderr.write(
      `chime: warning: ${files.sources[i]} lacks ${formatSelector(selector)}: once out of the files, --prune will not remove it\n`,
    );
  });
}

function pruneSelector(flags: ApplyFlags) {
  if (flags.selector === undefined) {
    throw new ChimeError(
      'CHIME_ERR_MISSING_FIELD',
      '--prune needs --selector key=value: only the jobs it matches are removed',
      { path: '/selector' },
    );
  }
  return parseSelector(flags.selector, '/selector');
}

/** The drift report as people read it: what changes, field by field, then a count of the rest. */
export function driftReport(report: ApplyReport): string {
  const verb = report.dryRun
    ? { create: 'to create', change: 'to change', remove: 'to remove' }
    : { create: 'created', change: 'changed', remove: 'removed' };
  const lines: string[] = [];
  if (report.create.length > 0) {
    lines.push(`${verb.create} (${report.create.length}):`);
    lines.push(...report.create.map((id) => `  + ${id}`));
  }
  if (report.change.length > 0) {
    lines.push(`${verb.change} (${report.change.length}):`);
    for (const { id, changes } of report.change) {
      lines.push(`  ~ ${id}`);
      for (const { path, from, to } of changes)
        lines.push(`      ${path}: ${shown(from)} → ${shown(to)}`);
    }
  }
  if (report.remove.length > 0) {
    lines.push(`${verb.remove} (${report.remove.length}):`);
    lines.push(...report.remove.map((id) => `  - ${id}`));
  }
  lines.push(`unchanged: ${report.unchanged.length}`);
  if (lines.length === 1) lines.push('no drift');
  return `${lines.join('\n')}\n`;
}

function clearReport(report: ClearReport): string {
  const verb = report.dryRun ? 'to remove' : 'removed';
  return `${[`${verb} (${report.remove.length}):`, ...report.remove.map((id) => `  - ${id}`)].join('\n')}\n`;
}

/** A value in a diff line: JSON, or `(absent)`. */
function shown(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}
