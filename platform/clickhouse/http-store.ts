import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { bindParams, toJsonLines, StoreUnavailableError, type MeteringStore, type Params } from './store';

/** Errors that mean "the server is not there", as opposed to "the server said no". */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  const msg = (err as Error).message ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'UND_ERR_SOCKET'].includes(code)
    || /socket hang up|Timeout error|ECONNREFUSED|ECONNRESET/.test(msg);
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectionError(err)) throw new StoreUnavailableError(`ClickHouse unreachable: ${(err as Error).message}`);
    throw err;
  }
}

/** ClickHouse server over HTTP (Debian's 18.16 in tests, any current server in production). */
export function createHttpStore(url: string, database: string): MeteringStore {
  const client: ClickHouseClient = createClient({
    url,
    request_timeout: 30_000,
    max_open_connections: 16,
    keep_alive: { enabled: true },
  });
  return {
    kind: 'clickhouse',
    database,
    command: (sql, params: Params = {}) =>
      guarded(async () => { await client.command({ query: bindParams(sql, params, database) }); }),
    query: <T>(sql: string, params: Params = {}) =>
      guarded(async () => {
        const rs = await client.query({ query: bindParams(sql, params, database), format: 'JSONEachRow' });
        return rs.json<T>();
      }),
    insert: (table, rows) =>
      guarded(async () => {
        if (rows.length === 0) return;
        // The payload travels in the POST body after the statement, as ClickHouse reads inserts.
        await client.command({ query: `INSERT INTO ${database}.${table} FORMAT JSONEachRow\n${toJsonLines(rows)}` });
      }),
    ping: async () => (await client.ping()).success,
    close: () => client.close(),
  };
}
