import type { Client } from '@temporalio/client';
import type { Config } from '../platform/config';
import type { Db } from '../platform/pg';
import type { Logger } from '../platform/logger';
import type { MeteringStore } from '../platform/clickhouse';
import type { Ingestor } from '../metering/ingest';
import type { LimitChecker } from '../metering/limits';

/** Everything a route may use. Built by bin/ (or a test), never by the API itself. */
export interface ApiDeps {
  config: Config;
  db: Db;
  store: MeteringStore;
  temporal: Client;
  logger: Logger;
  ingestor: Ingestor;
  limits: LimitChecker;
  /** For /readyz: true when the Temporal frontend answers. */
  temporalHealthy: () => Promise<boolean>;
}
