import type { ChildProcess } from 'node:child_process';
import { envOf } from '../../platform/config';
import { freePort } from '../../embedded/ports';
import type { TestStack } from './stack';
import { killGroup, spawnUntilReady } from './spawn-until-ready';

const READY = /ready api=(\S+)/;

/**
 * A real `bin/api.ts` process on the databases of `base` (a second, third... API process), in its
 * own process group so that stopping it by its id also stops what npx started. Resolves to its URL.
 */
export async function spawnApi(base: TestStack, children: ChildProcess[]): Promise<string> {
  const port = await freePort();
  const { line } = await spawnUntilReady('npx', ['tsx', 'bin/api.ts'], {
    env: { ...process.env, ...envOf(base.config), PORT: String(port), LOG_LEVEL: 'error' },
    ready: READY,
    withinMs: 60_000,
    children,
  });
  return READY.exec(line)![1]!;
}

/** Stops spawned API processes: SIGTERM (graceful) by default, SIGKILL for a crash. */
export function stopApis(children: ChildProcess[], signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const c of children) if (c.exitCode === null) killGroup(c, signal);
}
