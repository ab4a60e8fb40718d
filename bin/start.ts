import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { loadConfig, ConfigError, type Config } from '../platform/config';
import { createLogger } from '../platform/logger';
import { startPgliteServer } from '../embedded/pglite-server';
import { startTemporalDevServer } from '../embedded/temporal-dev-server';
import { ensureTemporalCli } from '../embedded/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { composeStack } from './compose';
import { ensureSchedules } from './schedules';

/** The admin token of an embedded install: generated once, kept in DATA_DIR (mode 600). */
function adminToken(dataDir: string): { token: string; file: string } {
  const file = join(dataDir, 'admin-token');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return { token: readFileSync(file, 'utf8').trim(), file };
}

/**
 * `npm start`: the whole service in one command. Services whose URL is not configured run
 * embedded with their data in DATA_DIR (PGlite, chDB, the Temporal dev server with its UI), so
 * a restart finds everything where it was.
 */
async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const dataDir = resolve(config.DATA_DIR);
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  let adminTokenFile: string | undefined;
  if (!config.ADMIN_TOKEN) ({ token: config.ADMIN_TOKEN, file: adminTokenFile } = adminToken(dataDir));

  if (!config.DATABASE_URL) {
    const pglite = await startPgliteServer({ dataDir: join(dataDir, 'pglite') });
    config.DATABASE_URL = pglite.url;
    stops.push(() => pglite.stop());
  }
  let temporalUi = 'the Temporal UI of TEMPORAL_ADDRESS';
  if (!config.TEMPORAL_ADDRESS) {
    const server = await startTemporalDevServer({
      executable: await ensureTemporalCli(),
      dbFile: join(dataDir, 'temporal.db'),
      ui: true,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      searchAttributes: SEARCH_ATTRIBUTES,
      logDir: join(dataDir, 'logs'),
    });
    config.TEMPORAL_ADDRESS = server.address;
    temporalUi = server.uiUrl ?? temporalUi;
    stops.push(() => server.stop());
  }
  const stack = await composeStack(config, { logger });
  stops.push(() => stack.close());
  await ensureSchedules(stack.deps.temporal, config);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    for (const stop of stops.reverse()) await stop().catch((err) => logger.warn({ err }, 'stop failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const tokenHint = adminTokenFile ? ` admin_token_file=${adminTokenFile}` : '';
  process.stdout.write(`tollbooth ready api=${stack.apiUrl} temporal_ui=${temporalUi}${tokenHint}\n`);
}

main().catch((err) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
