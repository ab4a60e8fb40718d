import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const DEV_COMPOSE = join(ROOT, 'docker-compose.yml');
export const PRODUCTION_COMPOSE = join(ROOT, 'deploy', 'docker-compose.production.yml');

/** The secrets deploy/docker-compose.production.yml requires, as an operator would export them. */
export const PRODUCTION_SECRETS = {
  ADMIN_TOKEN: 'a-production-admin-token',
  POSTGRES_PASSWORD: 'pg-secret',
  TEMPORAL_DB_PASSWORD: 'temporal-secret',
  CLICKHOUSE_PASSWORD: 'ch-secret',
};
