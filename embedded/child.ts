// Long-running child processes (databases, dev servers) whose output goes to
// a log file and which must never outlive the process that started them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface SpawnServiceOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Drop privileges (e.g. Postgres refuses to run as root). */
  uid?: number;
  gid?: number;
  /** Graceful-stop signal; Postgres wants SIGINT ("fast" shutdown). */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<void>;
  /** undefined while running; otherwise why it stopped plus the log tail. */
  exitReason(): string | undefined;
  stop(): Promise<void>;
}

// Linux only: setpriv sets PR_SET_PDEATHSIG, so the kernel SIGKILLs the child
// even if we die by SIGKILL and no JS exit handler gets to run.
const SETPRIV = '/usr/bin/setpriv';
const usePdeathsig = process.platform === 'linux' && fs.existsSync(SETPRIV);

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = (): void => {
    for (const c of live) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Someone else handles the signal (bin/start.ts stops the worker before the services it
      // talks to): leave the children to that orderly shutdown; the 'exit' hook still kills
      // whatever it left. Otherwise keep the default "die on signal" behaviour.
      if (process.listenerCount(sig) > 1) return;
      killAll();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export function logTail(file: string, bytes = 2000): string {
  try {
    const buf = fs.readFileSync(file);
    return buf
      .subarray(Math.max(0, buf.length - bytes))
      .toString('utf8')
      .trim();
  } catch {
    return '';
  }
}

export function spawnService(opts: SpawnServiceOptions): ServiceProcess {
  installExitHooks();
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  const [cmd, args] = usePdeathsig ? [SETPRIV, ['--pdeathsig', 'KILL', '--', opts.command, ...opts.args]] : [opts.command, opts.args];
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env, // undefined: inherit ours
    uid: opts.uid,
    gid: opts.gid,
    detached: false, // same process group: a terminal Ctrl-C reaches it too
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  live.add(child);

  let reason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    const finish = (why: string): void => {
      if (reason) return;
      live.delete(child);
      reason = `${opts.name} ${why}; log ${opts.logFile}:\n${logTail(opts.logFile)}`;
      resolve();
    };
    child.once('error', (err) => finish(`failed to spawn: ${err.message}`));
    child.once('exit', (code, sig) => finish(`exited (code ${code}, signal ${sig})`));
  });

  return {
    name: opts.name,
    pid: child.pid ?? -1,
    logFile: opts.logFile,
    exited,
    exitReason: () => reason,
    async stop(): Promise<void> {
      if (reason) return;
      child.kill(opts.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.stopTimeoutMs ?? 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
