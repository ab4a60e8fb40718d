// Where machine-wide, reusable artefacts (tool binaries, the workflow bundle) live. Kept
// outside the clone so a fresh clone / `git clean` downloads or builds nothing again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadToolsConfig } from '../platform/config';

export function cacheDir(): string {
  // TOLLBOOTH_CACHE lets CI point at a persistent volume.
  return path.resolve(loadToolsConfig().TOLLBOOTH_CACHE ?? path.join(os.homedir(), '.cache', 'tollbooth'));
}

export function binDir(): string {
  return path.join(cacheDir(), 'bin');
}

/**
 * Cross-process mutex over the cache (e.g. two `npm test` runs both wanting to
 * build a tool): an O_EXCL lock file holding the owner's pid; dead owners' locks
 * are broken.
 */
export async function withCacheLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lockFile = path.join(cacheDir(), 'locks', `${name}.lock`);
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  for (let announced = false; ;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isStale(lockFile)) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (!announced) process.stderr.write(`[tollbooth] waiting for lock ${lockFile}\n`);
    announced = true;
    await sleep(1000);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function isStale(lockFile: string): boolean {
  try {
    const pid = Number(fs.readFileSync(lockFile, 'utf8'));
    // Empty file: the owner is between create and write, unless that was long ago.
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - fs.statSync(lockFile).mtimeMs > 10_000;
    process.kill(pid, 0); // throws ESRCH when the owner is gone
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
