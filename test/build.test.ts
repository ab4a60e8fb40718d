import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { envOf, loadConfig } from '../platform/config';
import { testServices } from './helpers/services';
import { freshDatabaseUrl } from './helpers/stack';
import { call } from './helpers/http';

/**
 * The production path: `npm run build` once, then the API and the worker as separate node
 * processes from the build (no tsx, no TypeScript), on external services.
 */
const ROOT = join(__dirname, '..');
let work: string;
const children: ChildProcess[] = [];
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tollbooth-build-'));
});
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Starts `node <script>` and resolves with its first stdout line matching `ready`. */
function startFromBuild(script: string, env: Record<string, string>): Promise<string> {
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
        resolve(line);
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

it('builds into a folder whose API and worker start with node and serve requests', async () => {
  const dist = join(work, 'dist');
  const build = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/build.ts', '--out-dir', dist, '--no-typecheck'], { cwd: ROOT, encoding: 'utf8' });
  expect(build.stderr).toBe('');
  expect(build.status).toBe(0);
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
  // A deployment installs its node_modules beside the build.
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));

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
  expect(await startFromBuild(join(dist, 'bin', 'worker.js'), env)).toContain('worker ready');
  const api = /api=(\S+)/.exec(await startFromBuild(join(dist, 'bin', 'api.js'), env))![1]!;
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
