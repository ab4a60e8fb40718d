import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/**
 * Signals the child's whole process group. Children are spawned detached (a group of their own),
 * so this also reaches what they started: the tsx under npx, the embedded servers of `npm start`.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    // Not only while the child runs: members of its group may outlive it.
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

export interface Spawned {
  child: ChildProcess;
  /** The first stdout line that matched `ready`. */
  line: string;
  output: () => string;
}

/**
 * Runs `command` from the repository root in its own process group and resolves once a line of
 * its stdout matches `ready` (the entry points print one when they serve). A child that exits
 * first, or is not ready within `withinMs`, rejects with the tail of its output; the late one is
 * killed. `children` collects every child, so a test's afterAll can stop even a failed start.
 */
export function spawnUntilReady(
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; ready: RegExp; withinMs: number; children?: ChildProcess[] },
): Promise<Spawned> {
  const child = spawn(command, args, { cwd: ROOT, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  opts.children?.push(child);
  const what = args.at(-1) ?? command;
  let out = '';
  let err = '';
  const output = () => `stdout:\n${out}\nstderr:\n${err}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${what}: no ready line after ${opts.withinMs / 1000} s\n${output().slice(-6000)}`));
    }, opts.withinMs);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    let ready = false;
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      // Once ready, only keep draining: the child blocks on a full pipe, and re-reading all of
      // its output on every chunk would slow this reader the longer the child runs.
      if (ready) return;
      const line = out.split('\n').find((l) => opts.ready.test(l));
      if (line === undefined) return;
      ready = true;
      clearTimeout(timer);
      resolve({ child, line, output });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before ready\n${output().slice(-6000)}`));
    });
  });
}
