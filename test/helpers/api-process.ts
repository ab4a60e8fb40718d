import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { envOf } from '../../platform/config';
import { freePort } from '../../embedded/ports';
import type { TestStack } from './stack';

const ROOT = join(__dirname, '..', '..');

/** A running `bin/api.ts` or `bin/worker.ts`: its process, everything it printed, and its exit. */
export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** An API's URL. */
  url?: string;
}

/**
 * Starts `bin/<kind>.ts` as production does (`node --import tsx`, as the npm scripts), on the
 * databases and task queue of `base`, in its own process group so that stopping it by its id
 * stops everything it started. Resolves once it printed its ready line.
 */
export async function spawnService(
  kind: 'api' | 'worker',
  base: TestStack,
  children: ChildProcess[],
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const port = kind === 'api' ? { PORT: String(await freePort()) } : {};
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', `bin/${kind}.ts`], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...envOf(base.config), ...port, LOG_LEVEL: 'error', ...env },
  });
  children.push(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bin/${kind}.ts not ready after 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = /tollbooth (?:api|worker) ready(?: api=(\S+))?/.exec(output);
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`bin/${kind}.ts exited with ${code}:\n${output}`));
    });
  });
  return { child, output: () => output, exited, url: ready[1] };
}

/** A real `bin/api.ts` process on the databases of `base` (a second, third... API process). Resolves to its URL. */
export async function spawnApi(base: TestStack, children: ChildProcess[], env: Record<string, string> = {}): Promise<string> {
  return (await spawnService('api', base, children, env)).url!;
}

/** Signals spawned processes: SIGTERM (graceful) by default, SIGKILL for a crash. */
export function stopProcesses(children: ChildProcess[], signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const c of children)
    if (c.pid && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(-c.pid, signal);
      } catch {
        /* gone */
      }
    }
}
