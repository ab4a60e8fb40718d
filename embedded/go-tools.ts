// Tools built with `go install`, pinned and cached outside the clone: the Temporal CLI when no
// release binary can be had (temporal-cli.ts), and stripe-mock for the tests
// (testing/stripe-mock.ts). Resolution order for each: env override, PATH, cache, else
// `go install`.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnv, loadToolsConfig } from '../platform/config';
import { binDir, withCacheLock } from './cache';

export interface GoTool {
  name: string;
  pkg: string;
  module: string;
  version: string;
  envVar: 'TEMPORAL_CLI' | 'STRIPE_MOCK_BIN';
}

export const toolLog = (msg: string): void => void process.stderr.write(`[tollbooth tools] ${msg}\n`);

export const isExecutable = (file: string): boolean => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** The env override (which must then be executable), else the tool on PATH, else undefined. */
export function findOverrideOrOnPath(envVar: GoTool['envVar'], name: string): string | undefined {
  const tools = loadToolsConfig();
  const override = tools[envVar];
  if (override) {
    if (!isExecutable(override)) throw new Error(`${envVar}=${override} is not an executable file`);
    return override;
  }
  return findOnPath(name);
}

export const findOnPath = (name: string): string | undefined =>
  pathDirs()
    .map((d) => path.join(d, name))
    .find(isExecutable);
const pathDirs = (): string[] => loadToolsConfig().PATH.split(path.delimiter).filter(Boolean);

const inFlight = new Map<string, Promise<string>>(); // dedupe callers in this process
export function once(name: string, resolve: () => Promise<string>): Promise<string> {
  let p = inFlight.get(name);
  if (!p) {
    p = resolve();
    inFlight.set(name, p);
    p.catch(() => inFlight.delete(name));
  }
  return p;
}

/** The Go toolchain: `go` on PATH, else the official tarball's /usr/local/go. */
export const findGo = (): string | undefined => [...pathDirs().map((d) => path.join(d, 'go')), '/usr/local/go/bin/go'].find(isExecutable);

/** The cached build of the pinned version, building it with `go install` when missing. */
export async function goInstalled(tool: GoTool): Promise<string> {
  const goBin = findGo();
  const cached = path.join(binDir(), tool.name);
  if (await isCurrent(tool, cached, goBin)) return cached;
  if (!goBin) throw new Error(`${tool.name} not found and no Go toolchain to build it; set ${tool.envVar}`);
  return withCacheLock(`build-${tool.name}`, async () => {
    // Another process may have finished the build while we waited for the lock.
    if (await isCurrent(tool, cached, goBin)) return cached;
    fs.mkdirSync(binDir(), { recursive: true });
    const tmpBin = fs.mkdtempSync(path.join(binDir(), `.build-${tool.name}-`));
    toolLog(`building ${tool.pkg}@${tool.version} (a cold build takes minutes)...`);
    const t0 = Date.now();
    // GOMODCACHE/GOCACHE stay at Go's defaults (~/go, ~/.cache), outside the clone.
    try {
      const go = spawn(goBin, ['install', `${tool.pkg}@${tool.version}`], {
        env: childEnv({ GOBIN: tmpBin }),
        stdio: ['ignore', 2, 2],
      });
      const code = await new Promise<number | null>((res, rej) => go.once('error', rej).once('exit', res));
      if (code !== 0) throw new Error(`go install ${tool.pkg}@${tool.version} failed (exit ${code})`);
      // Build into a temp GOBIN then rename: a killed build never leaves a half-written binary.
      fs.renameSync(path.join(tmpBin, tool.name), cached);
    } finally {
      fs.rmSync(tmpBin, { recursive: true, force: true });
    }
    toolLog(`built ${cached} in ${Math.round((Date.now() - t0) / 1000)} s`);
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
