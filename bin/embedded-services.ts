import { join } from 'node:path';
import { loadConfig, ConfigError, type Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { startPgliteServer } from '../embedded/pglite-server';
import { startTemporalDevServer, type TemporalDevServer } from '../embedded/temporal-dev-server';
import { ensureTemporalCli } from '../embedded/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

/** A running service's stop, collected so that a signal stops them all, the last started first. */
export type Stop = () => Promise<void>;

/** Postgres as `npm start` embeds it: PGlite with its data in DATA_DIR, on a free port. */
export async function embeddedPostgres(dataDir: string, stops: Stop[]): Promise<string> {
  const pglite = await startPgliteServer({ dataDir: join(dataDir, 'pglite') });
  stops.push(() => pglite.stop());
  return pglite.url;
}

/** The Temporal CLI dev server as `npm start` embeds it: its SQLite file in DATA_DIR, with the UI. */
export async function embeddedTemporal(config: Config, dataDir: string, stops: Stop[]): Promise<TemporalDevServer> {
  const server = await startTemporalDevServer({
    executable: await ensureTemporalCli(),
    dbFile: join(dataDir, 'temporal.db'),
    ui: true,
    uiPort: config.TEMPORAL_UI_PORT,
    namespace: config.TEMPORAL_NAMESPACE,
    searchAttributes: SEARCH_ATTRIBUTES,
    logDir: join(dataDir, 'logs'),
  });
  stops.push(() => server.stop());
  return server;
}

/** On SIGINT or SIGTERM: stop everything in `stops`, the last started first, then exit 0. */
export function stopAllOnSignal(stops: Stop[], logger: Logger): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    for (const stop of [...stops].reverse()) await stop().catch((err: unknown) => logger.warn({ err }, 'stop failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** The configuration, or exit 1 with the message naming the bad variable (no stack trace). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
