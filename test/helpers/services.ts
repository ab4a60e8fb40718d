// Read-side of jest globalSetup: where the shared test services are running.
// globalSetup writes a JSON file and exports its path in TOLLBOOTH_TEST_SERVICES,
// which jest workers inherit.
import fs from 'node:fs';

export interface TestServices {
  databaseUrl: string;
  clickhouseUrl: string;
  temporalAddress: string;
  stripeApiBase: string;
  /**
   * The ClickHouse started by globalSetup (null when CLICKHOUSE_URL pointed at
   * an external server). `pid` is the process at startup; stopping it affects
   * every test file running concurrently, so outage tests are better off with
   * their own startClickHouseServer() instance.
   */
  clickhouse: { dataDir: string; httpPort: number; pid: number } | null;
  /**
   * Set when TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER=1: clickhouseUrl is the first server of this
   * cluster (2 shards x 2 replicas) and test stacks run in cluster mode.
   */
  clickhouseCluster: { name: string; urls: string[] } | null;
  /** Service logs (postgres.log, clickhouse.*.log, temporal.log, stripe-mock.log). */
  logDir: string;
}

export const SERVICES_ENV = 'TOLLBOOTH_TEST_SERVICES';

let cached: TestServices | undefined;

export function testServices(): TestServices {
  if (cached) return cached;
  const file = process.env[SERVICES_ENV];
  if (!file) {
    throw new Error(`${SERVICES_ENV} is not set: run jest with test/helpers/global-setup.ts as globalSetup`);
  }
  cached = JSON.parse(fs.readFileSync(file, 'utf8')) as TestServices;
  return cached;
}
