/**
 * Who holds a database file. The lock itself is SQLite's own: the store opens
 * the file with `locking_mode = EXCLUSIVE`, so its connection keeps an
 * exclusive OS lock (fcntl) on the file until it closes, and the OS drops that
 * lock when the process dies, also on SIGKILL. A second opener gets
 * SQLITE_BUSY at once (busy timeout 0).
 *
 * An OS lock does not say who holds it, so the holder also writes a small
 * JSON file next to the database (`<file>.flowspec-lock`: pid, hostname,
 * process start, open time) that the refused opener reads to name it. The file
 * is advisory: a stale one (its process is gone) is simply replaced. It also
 * backs up the OS lock on one known weakness: POSIX locks of a process are
 * dropped when that process closes *any* descriptor of the file, so a holder
 * that reads its own database file with `fs` would silently lose its lock; a
 * second process on the same host then finds the lock file naming a live
 * process (same pid and process start time) and is refused all the same.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** What `<file>.flowspec-lock` records about the process holding the database. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** Linux: the process start time in clock ticks since boot (/proc/<pid>/stat); null elsewhere. */
  readonly processStart: string | null;
  /** When the holder opened the database (ms since the epoch). */
  readonly openedAt: number;
  /** A random token: close() removes the file only if it is still its own. */
  readonly token: string;
}

/** Path of the lock file of database `path`. */
export function lockFilePath(path: string): string {
  return `${path}.flowspec-lock`;
}

/** The start time of process `pid` from /proc, or null when /proc is not there (not Linux) or pid is gone. */
export function processStartOf(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? null;
}

/** The holder record of this process. */
export function currentHolder(token: string, now: number): LockHolder {
  return {
    pid: process.pid,
    hostname: hostname(),
    processStart: processStartOf(process.pid),
    openedAt: now,
    token,
  };
}

/** Read a lock file; null when it is missing or unreadable (treated as no holder). */
export function readHolder(file: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || typeof v.hostname !== 'string') return null;
    return {
      pid: v.pid,
      hostname: v.hostname,
      processStart: typeof v.processStart === 'string' ? v.processStart : null,
      openedAt: typeof v.openedAt === 'number' ? v.openedAt : 0,
      token: typeof v.token === 'string' ? v.token : '',
    };
  } catch {
    return null;
  }
}

/**
 * Whether `holder` is certainly a live process other than this one: on this
 * host, its pid alive and, where /proc tells, started at the recorded time
 * (a recycled pid belongs to another process). A holder on another host
 * cannot be checked and counts as gone: the OS lock decides there.
 */
export function isOtherLiveHolder(holder: LockHolder): boolean {
  if (holder.hostname !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.processStart === null) return true; // no /proc where it was written: the pid is all we know
  return processStartOf(holder.pid) === holder.processStart;
}

/** "pid 123 on host h (opened 2026-01-01T00:00:00.000Z)". */
export function describeHolder(holder: LockHolder): string {
  const opened = holder.openedAt > 0 ? ` (opened ${new Date(holder.openedAt).toISOString()})` : '';
  return `pid ${holder.pid} on host "${holder.hostname}"${opened}`;
}

/** Write the lock file atomically (a temporary file renamed over it). */
export function writeHolder(file: string, holder: LockHolder): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(holder) + '\n');
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Remove the lock file if it still holds `token` (never another holder's file). */
export function removeHolder(file: string, token: string): void {
  const current = readHolder(file);
  if (current !== null && current.token !== token) return;
  try {
    rmSync(file, { force: true });
  } catch {
    // best effort: a stale lock file is replaced by the next opener
  }
}
