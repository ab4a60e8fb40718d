import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createLogger } from '../platform/logger';
import { composeStack } from './compose';
import { ensureSchedules } from './schedules';
import { embeddedPostgres, embeddedTemporal, stopAllOnSignal, loadConfigOrExit, type Stop } from './embedded-services';

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
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const dataDir = resolve(config.DATA_DIR);
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const stops: Stop[] = [];
  let adminTokenFile: string | undefined;
  if (!config.ADMIN_TOKEN) ({ token: config.ADMIN_TOKEN, file: adminTokenFile } = adminToken(dataDir));

  config.DATABASE_URL ??= await embeddedPostgres(dataDir, stops);
  let temporalUi = 'the Temporal UI of TEMPORAL_ADDRESS';
  if (!config.TEMPORAL_ADDRESS) {
    const server = await embeddedTemporal(config, dataDir, stops);
    config.TEMPORAL_ADDRESS = server.address;
    temporalUi = server.uiUrl ?? temporalUi;
  }
  const stack = await composeStack(config, { logger });
  stops.push(() => stack.close());
  await ensureSchedules(stack.deps.temporal, config);

  stopAllOnSignal(stops, logger);
  const tokenHint = adminTokenFile ? ` admin_token_file=${adminTokenFile}` : '';
  process.stdout.write(`tollbooth ready api=${stack.apiUrl} temporal_ui=${temporalUi}${tokenHint}\n`);
}

main().catch((err) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
