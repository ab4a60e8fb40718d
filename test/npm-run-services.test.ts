import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { Client } from 'pg';
import { freePort } from '../embedded/ports';
import { exited } from './helpers/npm-start';
import { killGroup, spawnUntilReady } from './helpers/spawn-until-ready';

// What `npm run services` runs (node with tsx as a loader; not through npm, see npm-start.ts).
const SERVICES = ['--import', 'tsx', 'scripts/services.ts'];
const EXTERNAL = ['DATABASE_URL', 'CLICKHOUSE_URL', 'TEMPORAL_ADDRESS', 'STRIPE_API_BASE'];

const children: ChildProcess[] = [];
let dataDir = '';
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollbooth-services-'));
});
afterAll(() => {
  children.forEach((c) => killGroup(c));
  rmSync(dataDir, { recursive: true, force: true });
});

/** Each service answers a real request of its own protocol; a refused connection rejects. */
const probes: Record<string, (url: string) => Promise<unknown>> = {
  DATABASE_URL: async (url) => {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      return (await client.query<{ one: number }>('SELECT 1 AS one')).rows;
    } finally {
      await client.end();
    }
  },
  CLICKHOUSE_URL: async (url) => (await fetch(`${url}/?query=SELECT%2040%2B2`, { signal: AbortSignal.timeout(3000) })).text(),
  TEMPORAL_ADDRESS: async (address) => {
    const connection = await Connection.connect({ address, connectTimeout: 3000 });
    try {
      return (await connection.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo?.name;
    } finally {
      await connection.close();
    }
  },
  STRIPE_API_BASE: async (url) =>
    (
      (await (await fetch(`${url}/v1/customers`, { headers: { Authorization: 'Bearer sk_test_123' }, signal: AbortSignal.timeout(3000) })).json()) as {
        object: string;
      }
    ).object,
};

/** Live processes whose command line names the data dir (the Temporal server and ClickHouse). */
const processesOf = (dir: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmd.includes(dir) && !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    });

it('npm run services prints the four services as env lines, they answer, and SIGINT stops them all', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, TEMPORAL_UI_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
  for (const name of EXTERNAL) delete env[name];
  const started = await spawnUntilReady(process.execPath, SERVICES, { env, ready: /^# tollbooth services ready/, withinMs: 150_000, children });
  const stdout = started
    .output()
    .split('\nstderr:\n')[0]!
    .replace(/^stdout:\n/, '');
  const urls = Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  expect(Object.keys(urls).sort()).toEqual([...EXTERNAL].sort());

  const answers = Object.fromEntries(await Promise.all(EXTERNAL.map(async (name) => [name, await probes[name]!(urls[name]!)])));
  expect(answers).toEqual({ DATABASE_URL: [{ one: 1 }], CLICKHOUSE_URL: '42\n', TEMPORAL_ADDRESS: 'default', STRIPE_API_BASE: 'list' });
  expect(processesOf(dataDir).length).toBeGreaterThanOrEqual(2);

  started.child.kill('SIGINT');
  await exited(started.child);
  expect(started.child.exitCode).toBe(0);
  expect(processesOf(dataDir)).toEqual([]);
  const refused = await Promise.all(
    EXTERNAL.map((name) =>
      probes[name]!(urls[name]!).then(
        () => `${name} still answers`,
        () => 'refused',
      ),
    ),
  );
  expect(refused).toEqual(EXTERNAL.map(() => 'refused'));
}, 240_000);
