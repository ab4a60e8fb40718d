/**
 * Cluster mode's schema, derived from the single-server migrations so there is one schema to
 * keep: each table becomes a replicated `<name>_local` on every server and a Distributed
 * `<name>` over them, sharded by account, so one account's events, duplicate lookups and
 * rollups live on one shard. Views read and write the local tables (a materialized view is an
 * insert trigger: it fires on the shard that received the rows). DDL runs `ON CLUSTER`, so a
 * migration applied from any server reaches every server (and is queued for one that is down).
 * ZooKeeper paths name the database, so databases on one cluster never share a replica log.
 */
const TABLE = /^CREATE TABLE IF NOT EXISTS (\{db:Identifier\})\.(\w+) (\([\s\S]*\))\s*ENGINE = (\w*MergeTree)\(([^)]*)\)([\s\S]*)$/;
const VIEW = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\{db:Identifier\}\.\w+)\s+TO \{db:Identifier\}\.(\w+) AS([\s\S]*)$/;
const DATABASE = /^CREATE DATABASE IF NOT EXISTS (\{db:Identifier\})$/;

/** Every table of ours has an account, the shard key. */
export const SHARD_KEY = 'cityHash64(account_id)';

const replicated = (engine: string, path: string, args: string): string =>
  `Replicated${engine}('${path}', '{replica}'${args.trim() ? `, ${args.trim()}` : ''})`;

/** The cluster form of one migration statement (INSERTs are unchanged: they go through the Distributed tables). */
export function clusterStatements(statement: string, cluster: string, database: string): string[] {
  const table = TABLE.exec(statement);
  if (table) {
    const [, db, name, columns, engine, args, rest] = table as unknown as string[];
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.${name}_local ON CLUSTER ${cluster} ${columns}
       ENGINE = ${replicated(engine!, `/clickhouse/tables/{shard}/${database}/${name}`, args!)}${rest}`,
      `CREATE TABLE IF NOT EXISTS ${db}.${name} ON CLUSTER ${cluster} ${columns}
       ENGINE = Distributed(${cluster}, ${database}, ${name}_local, ${SHARD_KEY})`,
    ];
  }
  const view = VIEW.exec(statement);
  if (view) {
    const [, name, target, select] = view as unknown as string[];
    const local = select!.replace(/FROM \{db:Identifier\}\.(\w+)/g, 'FROM {db:Identifier}.$1_local');
    return [`CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} ON CLUSTER ${cluster} TO {db:Identifier}.${target}_local AS${local}`];
  }
  const database_ = DATABASE.exec(statement);
  if (database_) return [`CREATE DATABASE IF NOT EXISTS ${database_[1]} ON CLUSTER ${cluster}`];
  if (/^(CREATE|ALTER|DROP|RENAME)\b/i.test(statement)) throw new Error(`no cluster form for: ${statement.slice(0, 80)}`);
  return [statement];
}

/**
 * The migration ledger in cluster mode: one table replicated on every server of the cluster
 * (a single ZooKeeper path for all shards), so every server reads what any server applied.
 */
export const clusterLedger = (cluster: string, database: string): string =>
  `CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_migrations ON CLUSTER ${cluster} (version String, applied_at DateTime('UTC'))
   ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/${database}/schema_migrations', '{replica}') ORDER BY version`;
