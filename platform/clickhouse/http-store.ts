import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { bindParams, toJsonLines, MAX_QUERY_BYTES, StoreUnavailableError, type MeteringStore, type Params } from './store';
import { readRows, type RawRow } from './rows';

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
    if (isConnectionError(err)) {
      const refused = (err as { code?: string }).code === 'ECONNREFUSED' || /ECONNREFUSED/.test((err as Error).message ?? '');
      throw new StoreUnavailableError(`ClickHouse unreachable: ${(err as Error).message}`, refused);
    }
    throw err;
  }
}

/** ClickHouse server over HTTP (Debian's 18.16 in tests, any current server in production). */
export function createHttpStore(url: string, database: string, opts: { requestTimeoutMs?: number } = {}): MeteringStore {
  const client: ClickHouseClient = createClient({
    url,
    request_timeout: opts.requestTimeoutMs ?? 30_000,
    max_open_connections: 16,
    keep_alive: { enabled: true },
    clickhouse_settings: { max_query_size: String(MAX_QUERY_BYTES) },
  });
  return {
    kind: 'clickhouse',
    database,
    command: (sql, params: Params = {}) =>
      guarded(async () => { await client.command({ query: bindParams(sql, params, database) }); }),
    query: (sql, params, rows) =>
      guarded(async () => {
        const rs = await client.query({ query: bindParams(sql, params, database), format: 'JSONEachRow' });
        return readRows(await rs.json<RawRow>(), rows);
      }),
    insert: (table, rows, opts = {}) =>
      guarded(async () => {
        if (rows.length === 0) return;
        // The payload travels in the POST body after the statement, as ClickHouse reads inserts.
        await client.command({ query: `INSERT INTO ${database}.${table} FORMAT JSONEachRow\n${toJsonLines(rows)}`, query_id: opts.queryId });
      }),
    running: (prefix) =>
      guarded(async () => {
        const rs = await client.query({
          query: bindParams('SELECT query_id FROM system.processes WHERE substring(query_id, 1, {n:UInt32}) = {prefix:String}', { n: Buffer.byteLength(prefix), prefix }, database),
          format: 'JSONEachRow',
        });
        return (await rs.json<{ query_id: string }>()).map((r) => r.query_id);
      }),
    ping: async () => (await client.ping()).success,
    close: () => client.close(),
  };
}
