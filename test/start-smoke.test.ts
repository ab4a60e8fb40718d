import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from './helpers/http';
import { embeddedEnv, npmStartFixture } from './helpers/npm-start';

const fx = npmStartFixture('tollbooth-start-', 90_000);
const { start } = fx;

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
  const { dataDir } = fx;
  const env = await embeddedEnv(dataDir, 'warn');
  const [port, uiPort] = [env.PORT, env.TEMPORAL_UI_PORT];

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
