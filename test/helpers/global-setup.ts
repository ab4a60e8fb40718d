// jest globalSetup: start the real backing services once per jest run, on free
// ports, concurrently. A service whose URL is already in the environment
// (DATABASE_URL, CLICKHOUSE_URL, TEMPORAL_ADDRESS, STRIPE_API_BASE) is not started.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startClickHouseServer } from '../../testing/clickhouse-server';
import { startClickHouseCluster } from '../../testing/clickhouse-cluster';
import { ensureTemporalCli } from '../../embedded/temporal-cli';
import { startPostgresServer } from '../../testing/postgres-server';
import { ensureStripeMock, startStripeMock } from '../../testing/stripe-mock';
import { startTemporalDevServer } from '../../embedded/temporal-dev-server';
import { SERVICES_ENV, type TestServices } from './services';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export interface RunningServices {
  file: string;
  /** <tmpdir>/tollbooth-test-<pid>: logs and the Postgres/ClickHouse data dirs. */
  workDir: string;
  stops: Array<() => Promise<void>>;
}
// globalSetup and globalTeardown run in the same process: hand over via globalThis.
export const RUNNING_KEY = Symbol.for('tollbooth.testServices');

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const env = process.env;
  removeStaleRuns();
  const workDir = path.join(os.tmpdir(), `tollbooth-test-${process.pid}`);
  const logDir = path.join(workDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const file = path.join(os.tmpdir(), `tollbooth-test-services-${process.pid}.json`);
  const stops: Array<() => Promise<void>> = [];
  const running: RunningServices = { file, workDir, stops };
  (globalThis as Record<symbol, unknown>)[RUNNING_KEY] = running;

  const startClickHouse = async (): Promise<Pick<TestServices, 'clickhouseUrl' | 'clickhouse' | 'clickhouseCluster'>> => {
    if (env['CLICKHOUSE_URL']) return { clickhouseUrl: env['CLICKHOUSE_URL'], clickhouse: null, clickhouseCluster: null };
    // The whole suite against 2 shards x 2 replicas (cluster mode) instead of one server.
    if (env['TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER'] === '1') {
      const cluster = await startClickHouseCluster({ workDir: path.join(workDir, 'cluster'), logDir });
      stops.push(cluster.stop);
      return { clickhouseUrl: cluster.nodes[0]!.url, clickhouse: null, clickhouseCluster: { name: cluster.name, urls: cluster.nodes.map((n) => n.url) } };
    }
    const ch = await startClickHouseServer({ logDir, dataDir: path.join(workDir, 'clickhouse') });
    stops.push(ch.stop);
    return { clickhouseUrl: ch.url, clickhouse: { dataDir: ch.dataDir, httpPort: ch.httpPort, pid: ch.pid }, clickhouseCluster: null };
  };
  const startPostgres = async (): Promise<string> => {
    if (env['DATABASE_URL']) return env['DATABASE_URL'];
    const pg = await startPostgresServer({ logDir, dataDir: path.join(workDir, 'postgres') });
    stops.push(pg.stop);
    return pg.url;
  };
  const startTemporal = async (): Promise<string> => {
    if (env['TEMPORAL_ADDRESS']) return env['TEMPORAL_ADDRESS'];
    const executable = await ensureTemporalCli();
    const temporal = await startTemporalDevServer({ executable, namespace: 'default', searchAttributes: SEARCH_ATTRIBUTES, logDir });
    stops.push(temporal.stop);
    return temporal.address;
  };
  const startStripe = async (): Promise<string> => {
    if (env['STRIPE_API_BASE']) return env['STRIPE_API_BASE'];
    const stripe = await startStripeMock({ executable: await ensureStripeMock(), logDir });
    stops.push(stripe.stop);
    return stripe.url;
  };

  const [pg, ch, temporal, stripe] = await Promise.allSettled([startPostgres(), startClickHouse(), startTemporal(), startStripe()]);
  if (pg.status === 'rejected' || ch.status === 'rejected' || temporal.status === 'rejected' || stripe.status === 'rejected') {
    await Promise.allSettled(stops.map((stop) => stop()));
    const errors = [pg, ch, temporal, stripe].flatMap((r) => (r.status === 'rejected' ? [String(r.reason?.stack ?? r.reason)] : []));
    throw new Error(`test services failed to start (logs in ${logDir}):\n${errors.join('\n')}`);
  }
  const services: TestServices = {
    databaseUrl: pg.value,
    ...ch.value,
    temporalAddress: temporal.value,
    stripeApiBase: stripe.value,
    logDir,
  };
  fs.writeFileSync(file, JSON.stringify(services, null, 2));
  process.env[SERVICES_ENV] = file; // inherited by jest workers
  process.stderr.write(`\n[tollbooth] test services ready in ${Date.now() - t0} ms (${file})\n`);
}

/** A killed jest run (Ctrl-C, SIGKILL) skips teardown: drop its files once its pid is gone. */
function removeStaleRuns(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const pid = Number(/^tollbooth-test-(?:services-)?(\d+)(?:\.json)?$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  }
}
