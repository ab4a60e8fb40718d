import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { envOf } from '../../platform/config';
import { freePort } from '../../embedded/ports';
import type { TestStack } from './stack';

const ROOT = join(__dirname, '..', '..');

/**
 * A real `bin/api.ts` process on the databases of `base` (a second, third... API process), in its
 * own process group so that stopping it by its id also stops what npx started. Resolves to its URL.
 */
export async function spawnApi(base: TestStack, children: ChildProcess[]): Promise<string> {
  const port = await freePort();
  const child = spawn('npx', ['tsx', 'bin/api.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...envOf(base.config), PORT: String(port), LOG_LEVEL: 'error' },
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bin/api.ts not ready after 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready api=(\S+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bin/api.ts exited with ${code}:\n${output}`));
    });
  });
}

/** Stops spawned API processes: SIGTERM (graceful) by default, SIGKILL for a crash. */
export function stopApis(children: ChildProcess[], signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const c of children)
    if (c.pid && c.exitCode === null) {
      try {
        process.kill(-c.pid, signal);
      } catch {
        /* gone */
      }
    }
}
