import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startClickHouseServer, type ClickHouseServer } from '../../testing/clickhouse-server';
import { startTestStack, type TestStack } from '../helpers/stack';
import { call, type Reply } from '../helpers/http';

// Our own ClickHouse: stopping the shared one would break every other test file running now.
let logDir: string;
let clickhouse: ClickHouseServer;
let stack: TestStack;

beforeAll(async () => {
  // @clickhouse/client logs every refused connection to the console; here those are the point.
  for (const level of ['warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
  logDir = mkdtempSync(join(tmpdir(), 'tollbooth-readyz-'));
  clickhouse = await startClickHouseServer({ logDir });
  stack = await startTestStack({ env: { CLICKHOUSE_URL: clickhouse.url } });
}, 90_000);
afterAll(async () => {
  await stack?.close();
  await clickhouse?.dispose();
  rmSync(logDir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

const readyz = () => call(stack.url, 'GET', '/readyz');
const healthz = () => call(stack.url, 'GET', '/healthz');

async function pollReadyz(status: number, timeoutMs = 20_000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await readyz();
    if (reply.status === status || Date.now() > deadline) return reply;
    await sleep(250);
  }
}

it('follows ClickHouse down and back up, while /healthz stays 200', async () => {
  const up = await readyz();
  expect(up.status).toBe(200);
  expect(up.body).toEqual({ status: 'ready', checks: { postgres: true, clickhouse: true, temporal: true } });
  expect((await healthz()).status).toBe(200);

  await clickhouse.stop();
  const down = await pollReadyz(503);
  expect(down.status).toBe(503);
  expect(down.body.error.code).toBe('unavailable');
  expect(down.body.error.message).toMatch(/clickhouse/);
  expect(down.body.error.message).not.toMatch(/postgres|temporal/);
  expect(down.body.error.details).toEqual([{ path: ['clickhouse'], message: expect.any(String) }]);
  expect(down.body.checks).toEqual({ postgres: true, clickhouse: false, temporal: true });
  const alive = await healthz();
  expect(alive.status).toBe(200);
  expect(alive.body).toEqual({ status: 'ok' });

  await clickhouse.start();
  const back = await pollReadyz(200);
  expect(back.status).toBe(200);
  expect(back.body.checks).toEqual({ postgres: true, clickhouse: true, temporal: true });
  expect((await healthz()).status).toBe(200);
}, 90_000);

it('answers usage reads with 503, not 500, while ClickHouse is down', async () => {
  const account = await call(stack.url, 'POST', '/admin/accounts', { token: stack.adminToken, body: { name: 'Outage' } });
  expect(account.status).toBe(201);
  await clickhouse.stop();
  try {
    const reply = await call(stack.url, 'GET', '/dashboard/usage', { token: account.body.apiKey });
    expect(reply.status).toBe(503);
    expect(reply.body.error.code).toBe('unavailable');
    expect(reply.headers.get('retry-after')).toBeTruthy();
  } finally {
    await clickhouse.start();
  }
  expect((await pollReadyz(200)).status).toBe(200);
}, 90_000);
