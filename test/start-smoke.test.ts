import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../embedded/ports';
import { call } from './helpers/http';

const ROOT = join(__dirname, '..');
// What `npm start` runs (its script: node with tsx as a loader). Not through npm: npm does not pass
// a SIGINT sent to it alone on to its child, and exits 130 on one sent to the whole group whatever
// the service did. Nor through the tsx CLI: it kills its child with SIGKILL (and exits 130) when
// the child takes more than about 60 ms to acknowledge a relayed signal, as on a loaded machine.
const START = ['--max-semi-space-size=64', '--import', 'tsx', 'bin/start.ts'];
// Variables that would point `npm start` at external services: unset, everything runs embedded.
const EXTERNAL = ['DATABASE_URL', 'CLICKHOUSE_URL', 'TEMPORAL_ADDRESS', 'ADMIN_TOKEN', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE'];

const killGroup = (child: ChildProcess) => {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};

let dataDir: string;
const children: ChildProcess[] = [];
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollbooth-start-'));
});
afterAll(() => {
  children.forEach(killGroup);
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  line: string;
  api: string;
  ui: string;
  output: () => string;
}

/** `npm start` as a user runs it; resolves on the one `ready` line. */
function start(env: NodeJS.ProcessEnv): Promise<Started> {
  // Its own process group, so a failed run can be cleaned up whole (afterAll).
  const child = spawn(process.execPath, START, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let out = '';
  let err = '';
  const output = () => `stdout:\n${out}\nstderr:\n${err}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`no ready line after 90 s\n${output().slice(-6000)}`));
    }, 90_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => /\bready\b/.test(l) && l.includes('api='));
      if (!line) return;
      clearTimeout(timer);
      resolve({ child, line, api: /api=(\S+)/.exec(line)![1]!, ui: /temporal_ui=(\S+)/.exec(line)?.[1] ?? '', output });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready\n${output().slice(-6000)}`));
    });
  });
}

/** Its exit code, or 'still running' 30 s after it was asked to stop. */
const exitCode = (child: ChildProcess) =>
  new Promise<number | null | 'still running'>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => resolve('still running'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });

/** Processes whose command line mentions both `temporal` and our data dir (its sqlite file). */
const temporalProcessesOf = (dataDir: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmd.includes('temporal') && cmd.includes(dataDir) && !readFileSync(`/proc/${pid}/stat`, 'utf8').match(/\)\s+Z\s/);
      } catch {
        return false;
      }
    });

it('npm start brings up everything embedded, stops cleanly on SIGINT and keeps its data', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), TEMPORAL_UI_PORT: String(uiPort), LOG_LEVEL: 'warn' };
  for (const name of EXTERNAL) delete env[name];

  const first = await start(env);
  expect(first.api).toBe(`http://127.0.0.1:${port}`);
  expect(first.ui).toBe(`http://127.0.0.1:${uiPort}`);
  expect((await call(first.api, 'GET', '/readyz')).body).toMatchObject({ status: 'ready', checks: { postgres: true, clickhouse: true, temporal: true } });
  expect((await fetch(first.ui)).status).toBe(200);

  const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const created = await call(first.api, 'POST', '/admin/accounts', { token: adminToken, body: { name: 'Survives restarts' } });
  expect(created.status).toBe(201);
  const accountId: string = created.body.account.id;
  expect(temporalProcessesOf(dataDir).length).toBeGreaterThan(0);

  first.child.kill('SIGINT');
  expect(await exitCode(first.child)).toBe(0);
  expect(temporalProcessesOf(dataDir)).toEqual([]);
  // In order: the worker stopped while Temporal still answered, and every stop step succeeded.
  expect(first.output()).not.toMatch(/errored during worker shutdown|stop failed|close failed/);

  const second = await start(env);
  try {
    expect(second.api).toBe(first.api);
    expect(readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()).toBe(adminToken);
    const read = await call(second.api, 'GET', `/admin/accounts/${accountId}`, { token: adminToken });
    expect(read.status).toBe(200);
    expect(read.body.account).toMatchObject({ id: accountId, name: 'Survives restarts', planId: 'free' });
    expect((await call(second.api, 'GET', '/readyz')).status).toBe(200);
    // Its provisioning workflow ran (no Stripe configured: a note says so) and the state persisted.
    let account = read.body.account;
    for (let i = 0; i < 40 && account.provisioningState !== 'done'; i++) {
      await sleep(250);
      account = (await call(second.api, 'GET', `/admin/accounts/${accountId}`, { token: adminToken })).body.account;
    }
    expect(account).toMatchObject({ provisioningState: 'done', stripeCustomerId: null });
  } finally {
    second.child.kill('SIGINT');
    expect(await exitCode(second.child)).toBe(0);
  }
  expect(temporalProcessesOf(dataDir)).toEqual([]);
}, 180_000);
