// Last-resort installation of Debian packages (CI images, fresh dev boxes).
// scripts/test.sh normally does this first; this covers `npm start` and
// running jest directly.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { childEnv } from '../platform/config';

const run = promisify(execFile);
let queue: Promise<unknown> = Promise.resolve(); // apt/dpkg must not run concurrently
let updated = false;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** `apt-get install` (after one `apt-get update` per process); root only. */
export function aptInstall(packages: string[], why: string): Promise<void> {
  if (!isRoot()) {
    return Promise.reject(new Error(`${why}; install it with: sudo apt-get install -y ${packages.join(' ')}`));
  }
  const step = queue.then(async () => {
    const env = childEnv({ DEBIAN_FRONTEND: 'noninteractive' });
    // Wait for a dpkg lock held by another process instead of failing at once.
    const lock = ['-o', 'DPkg::Lock::Timeout=300'];
    process.stderr.write(`[tollbooth] ${why}: apt-get install ${packages.join(' ')}\n`);
    if (!updated) {
      await run('apt-get', [...lock, 'update'], { env, maxBuffer: 64 << 20 });
      updated = true;
    }
    await run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...packages], {
      env,
      maxBuffer: 64 << 20,
    });
  });
  queue = step.catch(() => undefined);
  return step;
}
