import { spawn, type ChildProcess } from 'node:child_process';
import { ChimeError, PermanentError } from '../../errors.js';
import { parseDuration } from '../../model/duration.js';
import { pointerToken } from '../../model/json-value.js';
import type { ExecutionContext, Executor } from '../executor.js';
import {
  CHIME_ENV,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_OUTPUT_BYTES,
  ShellTargetSchema,
  type ShellTarget,
} from './schema.js';

/** Options of {@link shellExecutor}. */
export interface ShellExecutorOptions {
  /** Whether shell targets may be defined and run (the scheduler's `allowShell`). */
  allowed: boolean;
}

/** What a command that exited with status 0 records as its result. */
export interface ShellResult {
  /** Always 0: any other status fails the attempt. */
  exitCode: 0;
  /** The head of stdout (UTF-8), at most `maxOutputBytes`. */
  stdout: string;
  /** The head of stderr (UTF-8), at most `maxOutputBytes`. */
  stderr: string;
  /** True when stdout or stderr was longer than `maxOutputBytes` and was cut. */
  truncated: boolean;
}

const DISABLED_MESSAGE =
  'shell targets are off in this scheduler: create it with allowShell: true (the service: --allow-shell)';
/** Variables of the scheduler's environment a command inherits; nothing else of it. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SystemRoot'];
/** Bytes of the end of stderr quoted in the error of a failed command. */
const STDERR_TAIL_BYTES = 1_000;
/** How long output may keep flowing after the process exited (a child it left holding the pipes). */
const DRAIN_MS = 200;

/**
 * The `shell` executor: runs a command without a shell (see
 * {@link ShellTargetSchema} for the environment, output and kill rules).
 * Refused unless `allowed`: `validate()` throws `CHIME_ERR_SHELL_DISABLED` at
 * the target's `type`, and `run()` fails a job stored earlier for good.
 * `close()` kills commands still in their kill grace.
 */
export function shellExecutor(options: ShellExecutorOptions): Executor<ShellTarget> {
  const running = new Set<CommandRun>();
  return {
    type: 'shell',
    schema: ShellTargetSchema,
    validate(target, path) {
      if (!options.allowed) {
        throw new ChimeError('CHIME_ERR_SHELL_DISABLED', DISABLED_MESSAGE, {
          path: `${path}/type`,
        });
      }
      validateShellTarget(target, path);
    },
    async run(target, ctx) {
      if (!options.allowed)
        throw new PermanentError(`CHIME_ERR_SHELL_DISABLED: ${DISABLED_MESSAGE}`);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const command = new CommandRun(target, ctx);
      running.add(command);
      void command.exited.then(() => running.delete(command));
      return await command.result;
    },
    async close() {
      await Promise.all([...running].map((command) => command.kill()));
    },
  };
}

/**
 * Checks what the schema cannot: environment names chime sets, NUL bytes
 * (which no process can receive) and durations.
 * @throws ChimeError naming the field under `path`.
 */
export function validateShellTarget(target: ShellTarget, path: string): void {
  const texts: [string, string][] = [[`${path}/command`, target.command]];
  (target.args ?? []).forEach((arg, i) => texts.push([`${path}/args/${i}`, arg]));
  if (target.cwd !== undefined) texts.push([`${path}/cwd`, target.cwd]);
  for (const [name, value] of Object.entries(target.env ?? {})) {
    if ((CHIME_ENV as readonly string[]).includes(name)) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        `environment variable ${name} is set by chime (${CHIME_ENV.join(', ')})`,
        { path: `${path}/env/${pointerToken(name)}` },
      );
    }
    texts.push([`${path}/env/${pointerToken(name)}`, value]);
  }
  for (const [at, text] of texts) {
    if (text.includes('\0')) {
      throw new ChimeError(
        'CHIME_ERR_INVALID_INPUT',
        'a NUL character cannot be passed to a command',
        {
          path: at,
        },
      );
    }
  }
  if (target.timeout !== undefined) parseDuration(target.timeout, `${path}/timeout`);
  if (target.killGrace !== undefined) parseDuration(target.killGrace, `${path}/killGrace`);
}

/** The command's environment: a few of the scheduler's variables, the target's, then chime's. */
function commandEnv(target: ShellTarget, ctx: ExecutionContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED_ENV) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return {
    ...env,
    ...target.env,
    CHIME_EXECUTION_ID: ctx.executionId,
    CHIME_JOB_ID: ctx.job.id,
    CHIME_FIRE_AT: ctx.fireAt.toISOString(),
    CHIME_ATTEMPT: String(ctx.attempt),
    ...(ctx.backfill === true ? { CHIME_BACKFILL: 'true' } : {}),
  };
}

/**
 * Spawns the command: no shell, the small environment, its own process group
 * (so that a stop reaches the processes it started too).
 * @throws PermanentError when Node refuses the arguments outright.
 */
function startProcess(target: ShellTarget, ctx: ExecutionContext): ChildProcess {
  try {
    return spawn(target.command, target.args ?? [], {
      shell: false,
      env: commandEnv(target, ctx),
      cwd: target.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
  } catch (err) {
    throw new PermanentError(
      `command ${JSON.stringify(target.command)} could not be started: ${String(err)}`,
      { cause: err },
    );
  }
}

/** The head of a stream, at most `max` bytes, and its last bytes for error messages. */
class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private last = Buffer.alloc(0);
  /** True once bytes beyond `max` were dropped. */
  truncated = false;

  constructor(private readonly max: number) {}

  add(chunk: Buffer): void {
    const room = this.max - this.kept;
    if (chunk.length > room) this.truncated = true;
    if (room > 0) {
      const kept = chunk.subarray(0, room);
      this.chunks.push(kept);
      this.kept += kept.length;
    }
    const joined = Buffer.concat([this.last, chunk]);
    this.last = joined.subarray(Math.max(0, joined.length - STDERR_TAIL_BYTES));
  }

  /** The kept head as UTF-8. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** The last bytes of the whole stream as UTF-8, trimmed. */
  tail(): string {
    return this.last.toString('utf8').trim();
  }
}

/**
 * One command's process: started at once; `result` settles when it exits,
 * when the attempt's signal aborts or when the target's timeout passes; in the
 * last two cases the process group is sent SIGTERM, then SIGKILL after the
 * grace. `exited` resolves once the process is gone.
 */
class CommandRun {
  /** Settles with the attempt's outcome. */
  readonly result: Promise<ShellResult>;
  /** Resolves when the process has exited (or never started). */
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private readonly stdout: OutputCapture;
  private readonly stderr: OutputCapture;
  private readonly killGraceMs: number;
  private readonly name: string;
  private stopped = false;
  private ended = false;
  private timers: NodeJS.Timeout[] = [];
  private settle: { resolve: (r: ShellResult) => void; reject: (e: unknown) => void } | undefined;
  private markExited: () => void = () => {};

  constructor(
    target: ShellTarget,
    private readonly ctx: ExecutionContext,
  ) {
    const max = target.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.stdout = new OutputCapture(max);
    this.stderr = new OutputCapture(max);
    this.name = JSON.stringify(target.command);
    this.killGraceMs =
      target.killGrace === undefined
        ? DEFAULT_KILL_GRACE_MS
        : parseDuration(target.killGrace, '/target/killGrace');
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    this.child = startProcess(target, ctx);
    this.watch(target);
  }

  /** Kills the process group at once (the scheduler stops); resolves when it is gone. */
  async kill(): Promise<void> {
    if (this.ended) return;
    this.stop(new ChimeError('CHIME_ERR_SHUTDOWN', `command ${this.name} was killed at shutdown`));
    this.signal('SIGKILL');
    await this.exited;
  }

  private watch(target: ShellTarget): void {
    this.child.stdout?.on('data', (chunk: Buffer) => this.stdout.add(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.stderr.add(chunk));
    this.child.once('error', (err) => this.failedToStart(err));
    this.child.once('exit', (code, signal) => this.onExit(code, signal));
    this.child.once('close', () => this.end());
    const { signal } = this.ctx;
    const onAbort = () => this.stop(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void this.exited.then(() => signal.removeEventListener('abort', onAbort));
    if (target.timeout !== undefined) {
      const ms = parseDuration(target.timeout, '/target/timeout');
      const timeout = new ChimeError(
        'CHIME_ERR_ATTEMPT_TIMEOUT',
        `command ${this.name} ran past the target's timeout of ${ms} ms`,
      );
      this.timers.push(setTimeout(() => this.stop(timeout), ms));
    }
  }

  /** Ends the attempt with `reason` and stops the process: SIGTERM, then SIGKILL after the grace. */
  private stop(reason: unknown): void {
    if (this.stopped || this.ended) return;
    this.stopped = true;
    this.settle?.reject(reason);
    this.signal('SIGTERM');
    this.timers.push(setTimeout(() => this.signal('SIGKILL'), this.killGraceMs));
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      if (process.platform === 'win32') this.child.kill(signal);
      else process.kill(-this.child.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  private failedToStart(err: NodeJS.ErrnoException): void {
    if (this.child.pid !== undefined) return;
    this.settle?.reject(
      new PermanentError(
        `command ${this.name} could not be started (${err.code ?? err.message}): check that it exists on PATH or as a path, is executable, and that cwd exists`,
        { cause: err },
      ),
    );
    this.end();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    // Output a child left running may still hold the pipes open: stop waiting for it soon.
    this.timers.push(
      setTimeout(() => {
        this.child.stdout?.destroy();
        this.child.stderr?.destroy();
      }, DRAIN_MS),
    );
    void this.exited.then(() => this.finish(code, signal));
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopped) return;
    const truncated = this.stdout.truncated || this.stderr.truncated;
    if (code === 0) {
      const result = {
        exitCode: 0 as const,
        stdout: this.stdout.text(),
        stderr: this.stderr.text(),
        truncated,
      };
      this.ctx.logger.debug({ command: this.name, truncated }, 'command succeeded');
      this.settle?.resolve(result);
      return;
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderr.tail();
    this.settle?.reject(
      new ChimeError(
        'CHIME_ERR_TARGET_REJECTED',
        `command ${this.name} ${how}${tail ? `: ${tail}` : ''}`,
      ),
    );
  }

  /** The process is gone (or never started). After a stop, what it left in its group is killed now. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.stopped) this.signal('SIGKILL');
    this.markExited();
  }
}
