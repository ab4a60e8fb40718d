import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { freePort } from '../embedded/ports';
import { startClickHouseServer } from '../testing/clickhouse-server';
import globalSetup from '../test/helpers/global-setup';
import globalTeardown from '../test/helpers/global-teardown';
import { testServices, type TestServices } from '../test/helpers/services';
import { freshDatabaseUrl } from '../test/helpers/stack';

export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function latencySummary(samplesMs: number[]) {
  const s = [...samplesMs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50_ms: round(percentile(s, 50), 3),
    p90_ms: round(percentile(s, 90), 3),
    p99_ms: round(percentile(s, 99), 3),
    max_ms: round(s[s.length - 1]!, 3),
  };
}

/** The same real services the tests use (Debian Postgres and ClickHouse, Temporal dev server). */
export async function withServices<T>(fn: (s: TestServices) => Promise<T>): Promise<T> {
  // BENCH_CLICKHOUSE_CLUSTER=1: ClickHouse is the tests' 2 shards x 2 replicas, in cluster mode.
  if (process.env.BENCH_CLICKHOUSE_CLUSTER === '1') process.env.TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER = '1';
  await globalSetup();
  try {
    return await fn(testServices());
  } finally {
    await globalTeardown();
  }
}

/**
 * In cluster mode (BENCH_CLICKHOUSE_CLUSTER=1), a single ClickHouse server started in the same run,
 * so a bench can measure single-node next to the cluster minutes apart on the same machine load
 * (the cluster stays up, idle, meanwhile). Outside cluster mode: undefined, nothing started.
 */
export async function withSingleServerToo<T>(services: TestServices, fn: (single: TestServices) => Promise<T>): Promise<T | undefined> {
  if (!services.clickhouseCluster) return undefined;
  const dataDir = join(services.logDir, '..', 'bench-single-clickhouse');
  const ch = await startClickHouseServer({ logDir: join(services.logDir, 'bench-single-clickhouse'), dataDir });
  try {
    return await fn({ ...services, clickhouseUrl: ch.url, clickhouse: { dataDir, httpPort: ch.httpPort, pid: ch.pid }, clickhouseCluster: null });
  } finally {
    await ch.stop();
  }
}

export interface ApiProcess {
  url: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The API as its own process (bin/api.ts), so the load generator does not share its event loop. */
export async function spawnApi(services: TestServices, opts: { chdb?: boolean; env?: Record<string, string> } = {}): Promise<ApiProcess> {
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN: randomBytes(16).toString('hex'),
    DATABASE_URL: await freshDatabaseUrl(),
    CLICKHOUSE_DATABASE: `bench_${randomBytes(4).toString('hex')}`,
    TEMPORAL_ADDRESS: services.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench_${randomBytes(4).toString('hex')}`,
    DATA_DIR: join(services.logDir, '..', `bench-api-${port}`),
    ...(opts.chdb ? {} : { CLICKHOUSE_URL: services.clickhouseUrl }),
    ...(!opts.chdb && services.clickhouseCluster && { CLICKHOUSE_CLUSTER: services.clickhouseCluster.name }),
    ...opts.env,
  };
  // As package.json's `api` script runs it (a 64 MB young generation: see docs/PERFORMANCE.md),
  // plus BENCH_API_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it under load.
  const nodeArgs = ['--max-semi-space-size=64', ...(process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  // tsx as a loader in this one process (its CLI would run the API in a child of its own, out of
  // reach of the node arguments).
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(__dirname, '..', 'bin', 'api.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`api exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    env,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// A keep-alive node:http agent: fetch (undici) costs the client more CPU per request than the
// API spends on a limit check, and on two cores the client's CPU is the server's.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** How ClickHouse runs in this bench run, for the JSON lines. */
export const clickhouseLabel = (services: TestServices): string =>
  services.clickhouseCluster ? `clickhouse-18.16-cluster-${services.clickhouseCluster.urls.length / 2}x2` : 'clickhouse-18.16';

export function post(url: string, token: string, body: string): Promise<{ status: number; json: any }> {
  return postOnce(url, token, body).catch((err: Error & { reusedSocket?: boolean; code?: string }) => {
    // A kept-alive socket the server closed while idle, just as this request was written on it
    // ("socket hang up"): the server never read the request, so sending it again is safe. Node's
    // documentation gives this retry for exactly this race (request.reusedSocket).
    if (err.reusedSocket && err.code === 'ECONNRESET') return postOnce(url, token, body);
    throw err;
  });
}

function postOnce(url: string, token: string, body: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

export const emit = (result: object) => process.stdout.write(`${JSON.stringify(result)}\n`);

/**
 * An open-loop load at a fixed rate: request i is sent at i / rate seconds whatever the earlier
 * ones are doing, so latency includes queueing (a closed loop would hide it). `send` resolves to
 * the HTTP status; anything but 200 counts as an error.
 */
export async function openLoop(rate: number, total: number, send: (i: number) => Promise<number>) {
  // The generator's own event-loop delay: when it is high, latencies are the client's, not the API's.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const samples: number[] = [];
  let errors = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    let done = 0;
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      for (; sent < due; sent++) {
        const t = performance.now();
        send(sent)
          .then((status) => {
            if (status !== 200) errors++;
            samples.push(performance.now() - t);
          })
          .catch(() => {
            errors++;
          })
          .finally(() => {
            if (++done === total) resolve();
          });
      }
      if (sent >= total) clearInterval(tick);
    }, 1);
  });
  loop.disable();
  return { samples, errors, achievedRps: total / ((performance.now() - start) / 1000), clientLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 2) };
}
