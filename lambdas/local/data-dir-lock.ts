import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

/**
 * One Hookpost at a time per data directory: its embedded database cannot be shared.
 * The lock is a file holding the owner's pid, created exclusively; a lock whose process is
 * gone (it was killed) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<{ release(): Promise<void> }> {
  const file = join(dataDir, 'hookpost.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new DataDirInUseError(
        `Another Hookpost (pid ${owner}) is using ${dataDir}. Stop it, or set HOOKPOST_DATA_DIR to another directory.`,
      );
    }
    await rm(file, { force: true });
  }
  throw new DataDirInUseError(`Could not lock ${dataDir}: another Hookpost keeps starting there.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
