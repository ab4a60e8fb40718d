import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../embedded/ports';
import { killGroup, spawnUntilReady, type Spawned } from './spawn-until-ready';

// What `npm start` runs (its script: node with tsx as a loader). Not through npm: npm does not pass
// a SIGINT sent to it alone on to its child, and exits 130 on one sent to the whole group whatever
// the service did. Nor through the tsx CLI: it kills its child with SIGKILL (and exits 130) when
// the child takes more than about 60 ms to acknowledge a relayed signal, as on a loaded machine.
const START = ['--max-semi-space-size=64', '--import', 'tsx', 'bin/start.ts'];
// Variables that would point `npm start` at external services: unset, everything runs embedded.
const EXTERNAL = ['DATABASE_URL', 'CLICKHOUSE_URL', 'TEMPORAL_ADDRESS', 'ADMIN_TOKEN', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE'];

/** The environment of an all-embedded `npm start` on `dataDir`, on free ports. */
export async function embeddedEnv(dataDir: string, logLevel: string): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    LOG_LEVEL: logLevel,
  };
  for (const name of EXTERNAL) delete env[name];
  return env;
}

export interface Started extends Spawned {
  api: string;
  ui: string;
}

/** `npm start` as a user runs it, in its own process group; resolves on its one `ready` line. */
export async function npmStart(env: NodeJS.ProcessEnv, opts: { withinMs: number; children: ChildProcess[] }): Promise<Started> {
  const started = await spawnUntilReady(process.execPath, START, { env, ready: /\bready\b.*\bapi=/, withinMs: opts.withinMs, children: opts.children });
  return { ...started, api: /api=(\S+)/.exec(started.line)![1]!, ui: /temporal_ui=(\S+)/.exec(started.line)?.[1] ?? '' };
}

/**
 * A test file's own DATA_DIR and `start`, for `npm start` runs on it. After the file, every
 * process group it started is killed, a failed start's included, and the directory removed.
 */
export function npmStartFixture(prefix: string, withinMs: number) {
  const children: ChildProcess[] = [];
  const fixture = { dataDir: '', start: (env: NodeJS.ProcessEnv) => npmStart(env, { withinMs, children }) };
  beforeAll(() => {
    fixture.dataDir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    children.forEach((c) => killGroup(c));
    rmSync(fixture.dataDir, { recursive: true, force: true });
  });
  return fixture;
}

/** Resolves once the child has exited (at once if it already has). */
export const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
