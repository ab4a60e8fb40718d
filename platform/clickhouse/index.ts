import { join } from 'node:path';
import { createChdbStore } from './chdb-store';
import { createHttpStore, type ClusterOptions } from './http-store';
import type { MeteringStore } from './store';

export * from './store';
export * from './rows';
export { createChdbStore, createHttpStore, type ClusterOptions };

/**
 * A URL means a ClickHouse server (a cluster's when `cluster` is set); no URL means chDB under
 * the data dir (the embedded default).
 */
export function createMeteringStore(opts: { url?: string; dataDir: string; database: string; cluster?: ClusterOptions }): MeteringStore {
  return opts.url ? createHttpStore(opts.url, opts.database, { cluster: opts.cluster }) : createChdbStore(join(opts.dataDir, 'chdb'), opts.database);
}
