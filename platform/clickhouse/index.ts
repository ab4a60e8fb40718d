import { join } from 'node:path';
import { createChdbStore } from './chdb-store';
import { createHttpStore } from './http-store';
import type { MeteringStore } from './store';

export * from './store';
export * from './rows';
export { createChdbStore, createHttpStore };

/** A URL means a ClickHouse server; no URL means chDB under the data dir (the embedded default). */
export function createMeteringStore(opts: { url?: string; dataDir: string; database: string }): MeteringStore {
  return opts.url ? createHttpStore(opts.url, opts.database) : createChdbStore(join(opts.dataDir, 'chdb'), opts.database);
}
