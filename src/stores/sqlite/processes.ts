/**
 * What one process on this host can know of another: whether a pid it was
 * told of still runs the same process. Instances sharing a SQLite file all
 * run on one host, so a registered instance whose process is gone is a fact,
 * not a guess: it is dead at once, without waiting for its silence.
 *
 * A pid is the same process only on the same host, the same boot (pids
 * restart at every boot), and — where the kernel tells it (Linux `/proc`) —
 * the same start time (a pid can be reused by a later process).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** How a process is told apart from any other on any host, any boot. */
export interface ProcessIdentity {
  host: string;
  /** The host's boot (Linux: `/proc/sys/kernel/random/boot_id`), or null where unknown. */
  bootId: string | null;
  pid: number;
  /** The process's start, in clock ticks since boot (Linux: `/proc/<pid>/stat`), or null. */
  pidStart: number | null;
}

/** This process. */
export function thisProcess(): ProcessIdentity {
  return { host: hostname(), bootId: BOOT_ID, pid: process.pid, pidStart: startOf(process.pid) };
}

/**
 * True when the process is known to be gone: it ran on this host in this
 * boot, and its pid now names no process, or a process started at another
 * time. False when it may still run (another host or boot, or no way to tell).
 */
export function isGone(other: ProcessIdentity): boolean {
  if (other.host !== hostname() || other.bootId === null || other.bootId !== BOOT_ID) return false;
  if (!exists(other.pid)) return true;
  if (other.pidStart === null) return false;
  const start = startOf(other.pid);
  return start !== null && start !== other.pidStart;
}

const BOOT_ID = readOrNull('/proc/sys/kernel/random/boot_id')?.trim() ?? null;

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by another user.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Field 22 of `/proc/<pid>/stat`, counted after the command name (which may hold spaces). */
function startOf(pid: number): number | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isSafeInteger(start) ? start : null;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
