import type { ChildProcess } from 'node:child_process';
import { envOf } from '../../platform/config';
import { freePort } from '../../embedded/ports';
import type { TestStack } from './stack';
import { killGroup, spawnUntilReady, type Spawned } from './spawn-until-ready';

const READY = /tollbooth (?:api|worker) ready(?: api=(\S+))?/;

/** A running `bin/api.ts` or `bin/worker.ts`: its process, its output, its exit code, an API's URL. */
export interface ServiceProcess extends Spawned {
  exited: Promise<number | null>;
  url?: string;
}

/**
 * Starts `bin/<kind>.ts` as production does (`node --import tsx`, as the npm scripts) on the
 * databases and task queue of `base`, in its own process group. Resolves once it is ready.
 */
export async function spawnService(
  kind: 'api' | 'worker',
  base: TestStack,
  children: ChildProcess[],
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const port = kind === 'api' ? { PORT: String(await freePort()) } : {};
  const spawned = await spawnUntilReady(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', `bin/${kind}.ts`], {
    env: { ...process.env, ...envOf(base.config), ...port, LOG_LEVEL: 'error', ...env },
    ready: READY,
    withinMs: 60_000,
    children,
  });
  const { child } = spawned;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return { ...spawned, exited, url: READY.exec(spawned.line)![1] };
}

/** A real `bin/api.ts` process on the databases of `base` (a second, third... API process). Resolves to its URL. */
export async function spawnApi(base: TestStack, children: ChildProcess[]): Promise<string> {
  return (await spawnService('api', base, children)).url!;
}

/** Stops spawned API processes: SIGTERM (graceful) by default, SIGKILL for a crash. */
export function stopApis(children: ChildProcess[], signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const c of children) if (c.exitCode === null) killGroup(c, signal);
}
