import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { loadConfig, type Config } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { composeStack, type Stack } from '../../bin/compose';
import { testServices } from './services';

export type Backend = 'clickhouse' | 'chdb';
export const BACKENDS: Backend[] = ['clickhouse', 'chdb'];

export interface TestStack extends Stack {
  url: string;
  config: Config;
  adminToken: string;
}

const uniqueName = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

/** A Postgres database of its own for one test file, on the shared test server. */
export async function freshDatabaseUrl(): Promise<string> {
  const base = testServices().databaseUrl;
  const name = uniqueName('tb');
  const admin = new PgClient({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** chDB is one engine per process: each jest worker keeps its own folder, tests their own databases. */
export const chdbDataDir = () => {
  const dir = join(tmpdir(), `tollbooth-chdb-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/**
 * The real service wired as in production, isolated for one test file: its own Postgres
 * database, ClickHouse database and Temporal task queue, on the services globalSetup started.
 * `shareWith`: a second instance of the service on the same databases, task queue and admin
 * token as an existing stack (like a second API process; its migrations are already applied).
 */
export async function startTestStack(
  opts: { backend?: Backend; worker?: boolean; api?: boolean; stripe?: boolean; env?: Record<string, string>; shareWith?: TestStack } = {},
): Promise<TestStack> {
  const services = testServices();
  const shared = opts.shareWith?.config;
  const adminToken = opts.shareWith?.adminToken ?? randomBytes(24).toString('hex');
  const backend = opts.backend ?? (shared ? (shared.CLICKHOUSE_URL ? 'clickhouse' : 'chdb') : 'clickhouse');
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: shared?.DATA_DIR ?? chdbDataDir(),
    DATABASE_URL: shared?.DATABASE_URL ?? (await freshDatabaseUrl()),
    CLICKHOUSE_URL: shared ? shared.CLICKHOUSE_URL : backend === 'clickhouse' ? services.clickhouseUrl : undefined,
    CLICKHOUSE_DATABASE: shared?.CLICKHOUSE_DATABASE ?? uniqueName('tb'),
    CLICKHOUSE_CLUSTER: shared ? shared.CLICKHOUSE_CLUSTER : backend === 'clickhouse' ? services.clickhouseCluster?.name : undefined,
    TEMPORAL_ADDRESS: services.temporalAddress,
    TEMPORAL_TASK_QUEUE: shared?.TEMPORAL_TASK_QUEUE ?? uniqueName('tq'),
    ADMIN_TOKEN: adminToken,
    ...(opts.stripe !== false && { STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_API_BASE: services.stripeApiBase }),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...opts.env,
  });
  const stack = await composeStack(config, { logger: createLogger(config.LOG_LEVEL), worker: opts.worker ?? false, api: opts.api, migrate: !shared });
  return { ...stack, url: stack.apiUrl ?? '', config, adminToken };
}
