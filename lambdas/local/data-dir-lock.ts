import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

export interface DataDirLock {
  /**
   * The previous owner ended without releasing the lock (it was killed, or crashed): what
   * it was writing may be half-written, and local mode repairs its store before use.
   */
  readonly previousOwnerDied: boolean;
  release(): Promise<void>;
}

/**
 * One Hookpost at a time per data directory: its embedded database cannot be shared.
 * The lock is a file naming its owner, created exclusively; a lock whose owner is gone
 * (it was killed) is taken over at once.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, 'hookpost.pid');
  let previousOwnerDied = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(formatOwner(await currentProcess()));
      await handle.close();
      return { previousOwnerDied, release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = parseOwner(await readFile(file, 'utf8').catch(() => ''));
    if (owner !== undefined && (await isRunning(owner))) {
      throw new DataDirInUseError(
        `Another Hookpost (pid ${owner.pid}) is using ${dataDir}. Stop it, or set HOOKPOST_DATA_DIR to another directory.`,
      );
    }
    previousOwnerDied = true;
    await rm(file, { force: true });
  }
  throw new DataDirInUseError(`Could not lock ${dataDir}: another Hookpost keeps starting there.`);
}

/**
 * A process, told apart from a later one that reuses its pid by its start time (Linux's
 * /proc; elsewhere the pid alone).
 */
interface ProcessIdentity {
  readonly pid: number;
  readonly startTime?: string;
}

async function currentProcess(): Promise<ProcessIdentity> {
  const stat = await readProcStat(process.pid);
  return { pid: process.pid, startTime: typeof stat === 'object' ? stat.startTime : undefined };
}

function formatOwner(owner: ProcessIdentity): string {
  return owner.startTime === undefined ? String(owner.pid) : `${owner.pid} ${owner.startTime}`;
}

function parseOwner(text: string): ProcessIdentity | undefined {
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 ? { pid, startTime } : undefined;
}

/**
 * Whether the lock's owner still runs. A killed process stays in the process table as a
 * zombie until its parent reaps it, and `kill(pid, 0)` still finds it there: on Linux
 * its state in /proc tells dead from alive, and its start time a reused pid.
 */
async function isRunning(owner: ProcessIdentity): Promise<boolean> {
  const stat = await readProcStat(owner.pid);
  if (stat === 'no-proc') return signalReaches(owner.pid);
  if (stat === undefined) return false;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.startTime === undefined || owner.startTime === stat.startTime;
}

function signalReaches(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The state and start time of a process from /proc/<pid>/stat; undefined when there is
 * no such process, 'no-proc' where the system has no /proc (macOS).
 */
async function readProcStat(
  pid: number,
): Promise<{ state: string; startTime: string } | undefined | 'no-proc'> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return (await hasProc()) ? undefined : 'no-proc';
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After comm, field 3 (state) is at 0 and field 22 (starttime) at 19.
  return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
}

async function hasProc(): Promise<boolean> {
  try {
    await readFile('/proc/self/stat', 'utf8');
    return true;
  } catch {
    return false;
  }
}
