import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { transformFile } from '@swc/core';
import { cachedWorkflowBundle } from './workflow-bundle';

const ROOT = join(__dirname, '..');
// What runs in production (embedded/ serves `node dist/bin/start.js`); test/, testing/, bench/
// and scripts/ stay out of the build.
const SOURCE_DIRS = ['bin', 'platform', 'embedded', 'api', 'workflows', 'activities', 'metering', 'db'];
// Served as they are by api/pages.ts (the dashboard and the API reference), from beside api/.
const ASSET_DIRS = ['web'];

/**
 * `npm run build`: type-check, then compile to plain JavaScript that node runs without tsx,
 * with the SQL migrations beside their runners, the browser pages (web/) and the prebuilt
 * workflow bundle that the worker loads from the build. `--out-dir DIR` (default dist);
 * `--no-typecheck` when the caller type-checks already. SWC compiles (as it does for jest), so
 * the build runs the code the tests ran, in seconds; tsc only checks.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: 'dist' }, 'no-typecheck': { type: 'boolean', default: false } } });
  const outDir = resolve(ROOT, values['out-dir']!);
  const t0 = Date.now();
  if (!values['no-typecheck']) {
    const tsc = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.json'), '--noEmit'], { stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error(`type check failed (exit ${tsc.status})`);
  }
  rmSync(outDir, { recursive: true, force: true });
  for (const file of SOURCE_DIRS.flatMap((d) => filesUnder(join(ROOT, d)))) {
    const target = join(outDir, relative(ROOT, file));
    mkdirSync(dirname(target), { recursive: true });
    if (file.endsWith('.sql') || file.endsWith('.js'))
      cpSync(file, target); // migrations; the CLI's launcher
    else if (file.endsWith('.ts')) await compile(file, target.replace(/\.ts$/, '.js'));
  }
  for (const dir of ASSET_DIRS) cpSync(join(ROOT, dir), join(outDir, dir), { recursive: true });
  writeFileSync(join(outDir, 'workflow-bundle.js'), (await cachedWorkflowBundle()).code);
  process.stdout.write(`built ${outDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s; run node ${join(outDir, 'bin')}/{start,api,worker}.js\n`);
}

async function compile(file: string, target: string): Promise<void> {
  const { code, map } = await transformFile(file, {
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
    sourceMaps: true,
  });
  writeFileSync(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
  if (map) writeFileSync(`${target}.map`, map);
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

main().catch((err: unknown) => {
  process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
