import { z } from 'zod';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MeteringStore } from '../platform/clickhouse';
import { clusterLedger, clusterStatements } from './cluster-ddl';

const SQL_DIR = join(__dirname, 'sql');

/** Splits a migration file into statements: `;` at the end of a line ends one. */
export const statementsOf = (sql: string): string[] =>
  sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);

/**
 * Applies metering/sql/*.sql in name order, each once. Every statement is `IF NOT EXISTS`, so a
 * crash half-way or two processes migrating together end in the same schema; the ledger is a
 * ReplacingMergeTree, so a version recorded twice still reads as one. On a cluster the DDL runs
 * `ON CLUSTER` and the ledger is replicated on every server, so a migration runs once per cluster
 * (and harmlessly again if two processes start together).
 */
export async function migrateClickHouse(store: MeteringStore): Promise<string[]> {
  const { cluster } = store;
  // Cluster mode: the same statements in their replicated, sharded form (cluster-ddl.ts).
  const forStore = (statement: string): string[] => (cluster ? clusterStatements(statement, cluster, store.database) : [statement]);
  for (const statement of forStore('CREATE DATABASE IF NOT EXISTS {db:Identifier}')) await store.command(statement);
  await store.command(
    cluster
      ? clusterLedger(cluster, store.database)
      : `CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_migrations (version String, applied_at DateTime('UTC'))
     ENGINE = ReplacingMergeTree() ORDER BY version`,
  );
  const rows = await store.query('SELECT DISTINCT version FROM {db:Identifier}.schema_migrations', {}, z.object({ version: z.string() }));
  const done = new Set(rows.map((r) => r.version));
  const files = (await readdir(SQL_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    for (const statement of statementsOf(await readFile(join(SQL_DIR, file), 'utf8')).flatMap(forStore)) {
      await store.command(statement);
    }
    await store.insert('schema_migrations', [{ version: file, applied_at: Math.floor(Date.now() / 1000) }]);
    applied.push(file);
  }
  return applied;
}
