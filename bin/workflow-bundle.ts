import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { cacheDir } from '../embedded/cache';

const WORKFLOWS_DIR = join(__dirname, '..', 'workflows');
/** Written by `npm run build` (bin/build.ts) at the root of the build. */
const PREBUILT = join(__dirname, '..', 'workflow-bundle.js');

/** The bundle depends on our workflow sources and the SDK version, nothing else. */
function sourceHash(): string {
  const hash = createHash('sha256');
  for (const f of readdirSync(WORKFLOWS_DIR).sort()) hash.update(f).update(readFileSync(join(WORKFLOWS_DIR, f)));
  hash.update(require('@temporalio/workflow/package.json').version as string);
  return hash.digest('hex').slice(0, 16);
}

/** The workflow bundle: the build's own when running from `npm run build` output, else cachedWorkflowBundle(). */
export async function loadWorkflowBundle(): Promise<{ code: string }> {
  if (existsSync(PREBUILT)) return { code: readFileSync(PREBUILT, 'utf8') };
  return cachedWorkflowBundle();
}

/**
 * Made once per source version and cached outside the clone, so the worker, `npm start`, the
 * build and every test file reuse it instead of running webpack each time.
 */
export async function cachedWorkflowBundle(): Promise<{ code: string }> {
  const dir = join(cacheDir(), 'workflow-bundles');
  const file = join(dir, `workflows-${sourceHash()}.js`);
  if (existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.tmp${process.pid}`, code);
  renameSync(`${file}.tmp${process.pid}`, file);
  return { code };
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => process.stderr.write(`${m}\n`) };

if (require.main === module) {
  loadWorkflowBundle().then(() => process.stdout.write('workflow bundle ready\n'));
}
