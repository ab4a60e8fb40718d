import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { clusterStatements } from '../../metering/cluster-ddl';
import { statementsOf } from '../../metering/migrate';

/**
 * Cluster mode derives its schema from the single-server migrations. The whole of it runs against
 * a real cluster with TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER=1 (README); this checks, on every run,
 * that each statement of every migration has a cluster form with the properties exactness needs.
 */
const SQL_DIR = join(__dirname, '..', '..', 'metering', 'sql');
const statements = readdirSync(SQL_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .flatMap((f) => statementsOf(readFileSync(join(SQL_DIR, f), 'utf8')));

describe('cluster DDL', () => {
  it('turns every table into a replicated local table and a Distributed table sharded by account', () => {
    const tables = statements.filter((s) => s.startsWith('CREATE TABLE'));
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) {
      const name = /\.(\w+) \(/.exec(table)![1]!;
      const [local, distributed] = clusterStatements(table, 'c1', 'tb');
      expect(local).toMatch(new RegExp(`^CREATE TABLE IF NOT EXISTS \\{db:Identifier\\}\\.${name}_local ON CLUSTER c1 \\(`));
      expect(local).toMatch(new RegExp(`ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/tb/${name}', '\\{replica\\}'`));
      expect(distributed).toMatch(new RegExp(`ENGINE = Distributed\\(c1, tb, ${name}_local, cityHash64\\(account_id\\)\\)$`));
    }
    // Engine arguments (the ReplacingMergeTree version) and settings survive.
    const gauge = tables.find((t) => t.includes('usage_gauge_15m ('))!;
    expect(clusterStatements(gauge, 'c1', 'tb')[0]).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tb/usage_gauge_15m', '{replica}', readings)",
    );
    const events = tables.find((t) => t.includes('usage_events ('))!;
    expect(clusterStatements(events, 'c1', 'tb')[0]).toMatch(/ORDER BY \(account_id, event_id\)\s+SETTINGS index_granularity = 1024$/);
  });

  it('fires materialized views on the shard that received the rows', () => {
    const views = statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    expect(views.length).toBeGreaterThan(0);
    for (const view of views) {
      const [sql] = clusterStatements(view, 'c1', 'tb');
      expect(sql).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS \{db:Identifier\}\.\w+_mv ON CLUSTER c1 TO \{db:Identifier\}\.\w+_local AS/);
      expect(sql).toMatch(/FROM \{db:Identifier\}\.\w+_local/);
    }
  });

  it('leaves inserts (backfills) to the Distributed tables, and refuses DDL it has no form for', () => {
    const insert = statements.find((s) => s.startsWith('INSERT'))!;
    expect(clusterStatements(insert, 'c1', 'tb')).toEqual([insert]);
    expect(() => clusterStatements('ALTER TABLE {db:Identifier}.usage_events ADD COLUMN x UInt8', 'c1', 'tb')).toThrow(/no cluster form/);
  });
});
