// Go-built dev tools (Temporal CLI, stripe-mock), pinned and cached outside
// the clone. Resolution order: env override, PATH, cache, else `go install`.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { binDir, withCacheLock } from './cache';

interface GoTool {
  name: string;
  pkg: string;
  module: string;
  version: string;
  envVar: string;
}

const TEMPORAL: GoTool = {
  name: 'temporal',
  pkg: 'github.com/temporalio/cli/cmd/temporal',
  module: 'github.com/temporalio/cli',
  version: 'v1.5.1',
  envVar: 'TEMPORAL_CLI',
};
const STRIPE_MOCK: GoTool = {
  name: 'stripe-mock',
  pkg: 'github.com/stripe/stripe-mock',
  module: 'github.com/stripe/stripe-mock',
  version: 'v0.203.0',
  envVar: 'STRIPE_MOCK_BIN',
};

export const ensureTemporalCli = (): Promise<string> => ensureGoTool(TEMPORAL);
export const ensureStripeMock = (): Promise<string> => ensureGoTool(STRIPE_MOCK);

// The one place this module reads the environment.
function toolEnv(envVar: string): { override: string | undefined; pathDirs: string[]; env: NodeJS.ProcessEnv } {
  const pathDirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  return { override: process.env[envVar] || undefined, pathDirs, env: { ...process.env } };
}

const log = (msg: string): void => void process.stderr.write(`[tollbooth tools] ${msg}\n`);
const isExecutable = (file: string): boolean => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

const inFlight = new Map<string, Promise<string>>(); // dedupe callers in this process
function ensureGoTool(tool: GoTool): Promise<string> {
  let p = inFlight.get(tool.name);
  if (!p) {
    p = resolveTool(tool);
    inFlight.set(tool.name, p);
    p.catch(() => inFlight.delete(tool.name));
  }
  return p;
}

async function resolveTool(tool: GoTool): Promise<string> {
  const { override, pathDirs, env } = toolEnv(tool.envVar);
  if (override) {
    if (!isExecutable(override)) throw new Error(`${tool.envVar}=${override} is not an executable file`);
    return override;
  }
  const onPath = pathDirs.map((d) => path.join(d, tool.name)).find(isExecutable);
  if (onPath) return onPath;
  const goBin = [...pathDirs.map((d) => path.join(d, 'go')), '/usr/local/go/bin/go'].find(isExecutable);
  const cached = path.join(binDir(), tool.name);
  if (await isCurrent(tool, cached, goBin)) return cached;
  if (!goBin) throw new Error(`${tool.name} not found and no Go toolchain to build it; set ${tool.envVar}`);
  return withCacheLock(`build-${tool.name}`, async () => {
    // Another process may have finished the build while we waited for the lock.
    if (await isCurrent(tool, cached, goBin)) return cached;
    fs.mkdirSync(binDir(), { recursive: true });
    const tmpBin = fs.mkdtempSync(path.join(binDir(), `.build-${tool.name}-`));
    log(`building ${tool.pkg}@${tool.version} (a cold build takes minutes)...`);
    const t0 = Date.now();
    // GOMODCACHE/GOCACHE stay at Go's defaults (~/go, ~/.cache), outside the clone.
    try {
      const go = spawn(goBin, ['install', `${tool.pkg}@${tool.version}`], {
        env: { ...env, GOBIN: tmpBin },
        stdio: ['ignore', 2, 2],
      });
      const code = await new Promise<number | null>((res, rej) => go.once('error', rej).once('exit', res));
      if (code !== 0) throw new Error(`go install ${tool.pkg}@${tool.version} failed (exit ${code})`);
      // Build into a temp GOBIN then rename: a killed build never leaves a half-written binary.
      fs.renameSync(path.join(tmpBin, tool.name), cached);
    } finally {
      fs.rmSync(tmpBin, { recursive: true, force: true });
    }
    log(`built ${cached} in ${Math.round((Date.now() - t0) / 1000)} s`);
    return cached;
  });
}

/** The cached binary exists and (when Go is around to tell) is the pinned version. */
async function isCurrent(tool: GoTool, file: string, goBin: string | undefined): Promise<boolean> {
  if (!isExecutable(file)) return false;
  if (!goBin) return true;
  try {
    const { stdout } = await promisify(execFile)(goBin, ['version', '-m', file]);
    return stdout.split('\n').some((l) => /^\s*mod\s/.test(l) && l.includes(`${tool.module}\t${tool.version}\t`));
  } catch {
    return false;
  }
}
