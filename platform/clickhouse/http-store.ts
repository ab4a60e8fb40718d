import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { bindParams, toJsonLines, MAX_QUERY_BYTES, StoreUnavailableError, type MeteringStore, type Params } from './store';
import { readRows, type RawRow } from './rows';

/** Errors that mean "the server is not there", as opposed to "the server said no". */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  const msg = (err as Error).message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'UND_ERR_SOCKET'].includes(code) ||
    /socket hang up|Timeout error|ECONNREFUSED|ECONNRESET/.test(msg)
  );
}

/**
 * Cluster mode: server errors that mean "a part of the cluster is not there" (a replica or shard
 * down, ZooKeeper unreachable, a quorum not reached). Like a connection error they answer 503:
 * nothing was acknowledged, and the client's retry is checked against whatever was written.
 */
const CLUSTER_UNAVAILABLE = new Set([
  '32', // ATTEMPT_TO_READ_AFTER_EOF: a shard's server died while the insert was being forwarded to it
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '225', // NO_ZOOKEEPER
  '242', // TABLE_IS_READ_ONLY: the replica lost its ZooKeeper session
  '279', // ALL_CONNECTION_TRIES_FAILED: every replica of a shard down
  '285', // TOO_FEW_LIVE_REPLICAS: fewer live replicas than the insert quorum
  '286', // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE: the shard's previous quorum insert is still replicating
  '319', // UNKNOWN_STATUS_OF_INSERT: ZooKeeper lost mid-insert
  '999', // KEEPER_EXCEPTION
]);

/** The server's error code; the client parses only current servers' format, so 18.16's is read from the message. */
const serverCode = (err: unknown): string | undefined => (err as { code?: string }).code ?? /^Code: (\d+)[.,]/.exec((err as Error).message ?? '')?.[1];

async function guarded<T>(fn: () => Promise<T>, clustered: boolean): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectionError(err)) {
      const refused = (err as { code?: string }).code === 'ECONNREFUSED' || /ECONNREFUSED/.test((err as Error).message ?? '');
      throw new StoreUnavailableError(`ClickHouse unreachable: ${(err as Error).message}`, refused);
    }
    if (clustered && CLUSTER_UNAVAILABLE.has(String(serverCode(err)))) {
      throw new StoreUnavailableError(`ClickHouse cluster unavailable: ${(err as Error).message}`);
    }
    throw err;
  }
}

export interface ClusterOptions {
  /** The cluster's name in the servers' remote_servers. */
  name: string;
  /** Replicas that must hold an insert before it is acknowledged. */
  insertQuorum: number;
}

/**
 * Settings of every request in cluster mode (all exist in 18.16 and 26.7):
 * - inserts wait for the shard (insert_distributed_sync) and for a quorum of its replicas;
 * - insert_deduplicate=0: replicated tables drop an inserted block whose content equals one of
 *   the last hundred. Our exactly-once is the duplicate lookup (metering/ingest.ts), so this adds
 *   nothing to it (a raw block never repeats: event ids and received_at differ), and it would drop
 *   legitimate blocks: two rollup repairs (metering/rollup-repair.ts) can insert identical
 *   difference rows (on 18.16 the second of two identical counter rows is dropped; tested);
 * - load_balancing=in_order: reads and inserts go to the first live replica of each shard, so
 *   a duplicate lookup asks the replica the previous insert was written to.
 */
const clusterSettings = (cluster: ClusterOptions): ClickHouseSettings => ({
  insert_distributed_sync: 1,
  insert_quorum: String(cluster.insertQuorum),
  insert_quorum_timeout: 60_000,
  insert_deduplicate: 0,
  load_balancing: 'in_order',
  distributed_ddl_task_timeout: '180',
});

/** ClickHouse server over HTTP (Debian's 18.16 in tests, any current server in production). */
export function createHttpStore(url: string, database: string, opts: { requestTimeoutMs?: number; cluster?: ClusterOptions } = {}): MeteringStore {
  const clustered = opts.cluster !== undefined;
  const client: ClickHouseClient = createClient({
    url,
    request_timeout: opts.requestTimeoutMs ?? 30_000,
    max_open_connections: 16,
    keep_alive: { enabled: true },
    clickhouse_settings: { max_query_size: String(MAX_QUERY_BYTES), ...(opts.cluster && clusterSettings(opts.cluster)) },
  });
  const run = <T>(fn: () => Promise<T>) => guarded(fn, clustered);
  return {
    kind: 'clickhouse',
    database,
    cluster: opts.cluster?.name,
    command: (sql, params: Params = {}) =>
      run(async () => {
        await client.command({ query: bindParams(sql, params, database) });
      }),
    query: (sql, params, rows) =>
      run(async () => {
        const rs = await client.query({ query: bindParams(sql, params, database), format: 'JSONEachRow' });
        return readRows(await rs.json<RawRow>(), rows);
      }),
    insert: (table, rows, opts = {}) =>
      run(async () => {
        if (rows.length === 0) return;
        // The payload travels in the POST body after the statement, as ClickHouse reads inserts.
        await client.command({ query: `INSERT INTO ${database}.${table} FORMAT JSONEachRow\n${toJsonLines(rows)}`, query_id: opts.queryId });
      }),
    running: (prefix) =>
      run(async () => {
        const rs = await client.query({
          query: bindParams(
            'SELECT query_id FROM system.processes WHERE substring(query_id, 1, {n:UInt32}) = {prefix:String}',
            { n: Buffer.byteLength(prefix), prefix },
            database,
          ),
          format: 'JSONEachRow',
        });
        return (await rs.json<{ query_id: string }>()).map((r) => r.query_id);
      }),
    ping: async () => (await client.ping()).success,
    close: () => client.close(),
  };
}
