import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger } from '../platform/logger';
import { startClickHouseServer } from '../testing/clickhouse-server';
import { ensureStripeMock, startStripeMock } from '../testing/stripe-mock';
import { embeddedPostgres, embeddedTemporal, loadConfigOrExit, stopAllOnSignal, type Stop } from '../bin/embedded-services';

/**
 * `npm run services`: only the backing services, for running `npm run api` and `npm run worker`
 * (or a debugger) against them: Postgres and Temporal as `npm start` embeds them (data in
 * DATA_DIR), a Debian ClickHouse server (chDB lives inside one process, so the API and the worker
 * as two processes need a server) and stripe-mock, on free ports. Stdout is an env file: one
 * VARIABLE=value line per service, then a comment once all answer. SIGINT or SIGTERM stops them.
 */
async function main() {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const dataDir = resolve(config.DATA_DIR);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const stops: Stop[] = [];
  stopAllOnSignal(stops, logger);
  const started = await Promise.allSettled([
    embeddedPostgres(dataDir, stops),
    startClickHouseServer({ logDir, dataDir: join(dataDir, 'clickhouse-server') }).then((ch) => (stops.push(ch.stop), ch.url)),
    embeddedTemporal(config, dataDir, stops),
    ensureStripeMock()
      .then((executable) => startStripeMock({ executable, logDir }))
      .then((mock) => (stops.push(mock.stop), mock.url)),
  ]);
  const failed = started.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failed.length > 0) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw new Error(failed.map((e) => (e instanceof Error ? e.message : String(e))).join('\n'));
  }
  const [postgres, clickhouse, temporal, stripe] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    string,
    string,
    { address: string; uiUrl?: string },
    string,
  ];
  const lines = [
    `DATABASE_URL=${postgres}`,
    `CLICKHOUSE_URL=${clickhouse}`,
    `TEMPORAL_ADDRESS=${temporal.address}`,
    `STRIPE_API_BASE=${stripe}`,
    `# tollbooth services ready (Temporal UI ${temporal.uiUrl}, logs in ${logDir}); Ctrl-C stops them`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`services failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
