// The Compose validator of the tests: testing/compose-check/, a small Go program over
// compose-go (the library `docker compose` itself loads files with: the Compose Specification's
// schema, interpolation, consistency checks), pinned by its go.mod/go.sum and fetched through the
// Go module proxy like the other Go tools. Built once into the tool cache, keyed by its sources.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from '../platform/config';
import { binDir, withCacheLock } from '../embedded/cache';
import { findGo, isExecutable, once, toolLog } from '../embedded/go-tools';

const SOURCE_DIR = path.join(__dirname, 'compose-check');
const SOURCES = ['go.mod', 'go.sum', 'main.go'];

export interface ComposeService {
  name: string;
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment: Record<string, string>;
  binds: { source: string; target: string }[];
  dependsOn: string[] | null;
  replicas: number;
  hostname?: string;
  ports: { hostIp: string; published: string; target: number }[];
}

/** What compose-check prints per file: the loaded project, or why it did not load. */
export interface ComposeReport {
  file: string;
  name?: string;
  services?: ComposeService[];
  volumes?: string[];
  /** Host paths (bind mounts, build contexts, Dockerfiles) that do not exist. */
  missing?: string[];
  /** Mounted .xml files that are not well-formed. */
  badXml?: string[];
  error?: string;
}

const sourceHash = (): string => {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(fs.readFileSync(path.join(SOURCE_DIR, f)));
  return h.digest('hex').slice(0, 12);
};

/** The built validator, building it (seconds warm, about a minute cold) when its sources changed. */
export const ensureComposeCheck = (): Promise<string> =>
  once('compose-check', async () => {
    const target = path.join(binDir(), `compose-check-${sourceHash()}`);
    if (isExecutable(target)) return target;
    const go = findGo();
    if (!go) throw new Error('compose-check needs a Go toolchain (go on PATH or /usr/local/go)');
    return withCacheLock('build-compose-check', async () => {
      if (isExecutable(target)) return target;
      fs.mkdirSync(binDir(), { recursive: true });
      toolLog('building testing/compose-check (compose-go)...');
      const tmp = `${target}.tmp-${process.pid}`;
      // -mod=readonly: the versions are exactly those of go.mod and go.sum.
      const child = spawn(go, ['build', '-mod=readonly', '-o', tmp, '.'], { cwd: SOURCE_DIR, env: childEnv({}), stdio: ['ignore', 2, 2] });
      const code = await new Promise<number | null>((res, rej) => child.once('error', rej).once('exit', res));
      if (code !== 0) throw new Error(`go build of testing/compose-check failed (exit ${code})`);
      fs.renameSync(tmp, target);
      return target;
    });
  });

/** Loads each file with compose-go under exactly `env` (plus PATH/HOME); one report per file. */
export async function checkComposeFiles(files: string[], env: Record<string, string>): Promise<ComposeReport[]> {
  const bin = await ensureComposeCheck();
  const run = await promisify(execFile)(bin, files, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env } }).catch(
    (err: { stdout?: string; code?: number }) => {
      // Exit 1 is "a file did not load": its report says why.
      if (err.code === 1 && err.stdout) return { stdout: err.stdout };
      throw err;
    },
  );
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ComposeReport);
}
