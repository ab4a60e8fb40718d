import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { envOf, loadConfig } from '../platform/config';
import { testServices } from './helpers/services';
import { freshDatabaseUrl } from './helpers/stack';
import { call } from './helpers/http';
import { freePort } from '../embedded/ports';
import { ensureTemporalCli } from '../embedded/temporal-cli';

/**
 * The production path: `npm run build` once (type-check included), then the API and the worker
 * as separate node processes from the build (no tsx, no TypeScript), on external services; and
 * `node dist/bin/start.js`, the whole embedded stack from the build.
 */
const ROOT = join(__dirname, '..');
let work: string;
let dist: string;
let build: ReturnType<typeof spawnSync>;
const children: ChildProcess[] = [];
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tollbooth-build-'));
  dist = join(work, 'dist');
  build = spawnSync('npm', ['run', 'build', '--', '--out-dir', dist], { cwd: ROOT, encoding: 'utf8' });
  productionNodeModules(join(work, 'node_modules'));
}, 240_000);
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/**
 * What `npm ci --omit=dev` leaves beside the build, as far as our code can tell: only the
 * `dependencies` resolve from dist/ (linked to the installed copies, whose own dependencies
 * resolve from where they are). A devDependency imported at run time fails to load.
 */
function productionNodeModules(dir: string): void {
  const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(dependencies)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), join(dir, name));
  }
}

/** Starts `node <script>` and resolves with its first stdout line matching `ready`. */
function startFromBuild(script: string, env: Record<string, string>): Promise<{ line: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script}: no ready line after 60 s\n${out}`)), 60_000);
    const collect = (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => /\bready\b/.test(l));
      if (line) {
        clearTimeout(timer);
        child.stdout!.off('data', collect);
        child.stdout!.resume();
        resolve({ line, child });
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}\n${out}`));
    });
  });
}

it('npm run build type-checks and builds into a folder whose API and worker start with node and serve requests', async () => {
  expect({ status: build.status, stderr: build.stderr }).toEqual({ status: 0, stderr: '' });
  expect(build.stdout).toMatch(/^built .* in [\d.]+ s/m);
  for (const f of [
    'bin/api.js',
    'bin/worker.js',
    'bin/cli.js',
    'workflow-bundle.js',
    'db/migrations/001_identity.sql',
    'metering/sql/001_usage_events.sql',
    'web/dashboard/index.html',
    'web/docs/index.html',
  ]) {
    expect(existsSync(join(dist, f))).toBe(true);
  }
  const services = testServices();
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: await freshDatabaseUrl(),
    CLICKHOUSE_URL: services.clickhouseUrl,
    CLICKHOUSE_DATABASE: `tb_${randomBytes(6).toString('hex')}`,
    TEMPORAL_ADDRESS: services.temporalAddress,
    TEMPORAL_TASK_QUEUE: `tq_${randomBytes(6).toString('hex')}`,
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    LOG_LEVEL: 'warn',
    DATA_DIR: work,
    TOLLBOOTH_CACHE: join(work, 'no-cache'),
  });
  const env = envOf(config);
  // The worker first: it applies the migrations the API then finds done.
  expect((await startFromBuild(join(dist, 'bin', 'worker.js'), env)).line).toContain('worker ready');
  const api = /api=(\S+)/.exec((await startFromBuild(join(dist, 'bin', 'api.js'), env)).line)![1]!;
  expect((await call(api, 'GET', '/readyz')).status).toBe(200);
  // The pages are served from the build's copy of web/.
  for (const [page, script] of [
    ['/app', '/app/dashboard.js'],
    ['/docs', '/docs/docs.js'],
  ] as const) {
    const html = await call<string>(api, 'GET', page);
    expect(html.status).toBe(200);
    expect(html.body).toContain(`src="${script}"`);
    expect((await call(api, 'GET', script)).status).toBe(200);
  }

  // Creating an account runs its provisioning workflow on the worker started from the build.
  const created = await call(api, 'POST', '/admin/accounts', { token: config.ADMIN_TOKEN, body: { name: 'Built' } });
  expect(created.status).toBe(201);
  for (let i = 0; i < 100; i++) {
    const { body } = await call(api, 'GET', `/admin/accounts/${created.body.account.id}`, { token: config.ADMIN_TOKEN });
    if (body.account.provisioningState === 'done') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the account was never provisioned by the worker');
});

it('node dist/bin/start.js runs the whole embedded stack from the build, and SIGINT stops it', async () => {
  expect(build.status).toBe(0);
  const env = {
    PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    DATA_DIR: join(work, 'embedded'),
    LOG_LEVEL: 'warn',
    // The pinned CLI the tests run; an empty cache: the workflow bundle must come from the build.
    TEMPORAL_CLI: await ensureTemporalCli(),
    TOLLBOOTH_CACHE: join(work, 'no-cache-embedded'),
  };
  const { line, child } = await startFromBuild(join(dist, 'bin', 'start.js'), env);
  const api = /api=(\S+)/.exec(line)![1]!;
  expect(api).toBe(`http://127.0.0.1:${env.PORT}`);
  expect((await call(api, 'GET', '/healthz')).status).toBe(200);
  expect((await call(api, 'GET', '/readyz')).body).toMatchObject({ status: 'ready', checks: { postgres: true, clickhouse: true, temporal: true } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
}, 120_000);
