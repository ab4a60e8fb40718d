import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createDb, type Db } from '../platform/pg';
import { chInt, createChdbStore, createHttpStore, type MeteringStore } from '../platform/clickhouse';
import { migratePostgres } from '../db/migrate';
import { migrateClickHouse } from '../metering/migrate';
import { chdbDataDir, freshDatabaseUrl, type Backend } from './helpers/stack';
import { testServices } from './helpers/services';
import { z } from 'zod';

const sqlFiles = (dir: string) =>
  readdirSync(join(__dirname, '..', dir))
    .filter((f) => f.endsWith('.sql'))
    .sort();
const PG_FILES = sqlFiles('db/migrations');
const CH_FILES = sqlFiles('metering/sql');

describe('Postgres migrations', () => {
  const dbs: Db[] = [];
  const fresh = async () => {
    const db = createDb(await freshDatabaseUrl());
    dbs.push(db);
    return db;
  };
  afterAll(() => Promise.all(dbs.map((db) => db.end())));

  const snapshot = async (db: Db) => ({
    tables: (await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).rows.map((r) => r.table_name),
    migrations: (await db.query('SELECT version FROM schema_migrations ORDER BY 1')).rows.map((r) => r.version),
    plans: (await db.query('SELECT id, is_default FROM plans ORDER BY id')).rows,
    limits: Number((await db.query('SELECT count(*) AS n FROM plan_limits')).rows[0].n),
  });

  it('applies every file once; a second run applies nothing and duplicates nothing', async () => {
    const db = await fresh();
    expect(await migratePostgres(db)).toEqual(PG_FILES);
    const first = await snapshot(db);
    expect(await migratePostgres(db)).toEqual([]);
    const second = await snapshot(db);
    expect(second).toEqual(first);
    expect(second.migrations).toEqual(PG_FILES);
    expect(second.tables).toEqual(
      expect.arrayContaining(['accounts', 'apps', 'api_keys', 'plans', 'plan_limits', 'limit_counters', 'usage_alerts', 'schema_migrations']),
    );
    expect(second.plans).toEqual([
      { id: 'free', is_default: true },
      { id: 'pro', is_default: false },
      { id: 'team', is_default: false },
    ]);
    expect(second.limits).toBe(12);
  });

  it('two concurrent runs on a fresh database end in the same state as one', async () => {
    const db = await fresh();
    const [a, b] = await Promise.all([migratePostgres(db), migratePostgres(db)]);
    // The advisory lock makes them take turns: one applies everything, the other nothing.
    expect([...a, ...b].sort()).toEqual(PG_FILES);
    const state = await snapshot(db);
    expect(state.migrations).toEqual(PG_FILES);
    expect(state.plans).toHaveLength(3);
    expect(state.limits).toBe(12);
  });
});

describe.each<Backend>(['clickhouse', 'chdb'])('ClickHouse migrations on %s', (backend) => {
  const stores: MeteringStore[] = [];
  const fresh = () => {
    const database = `tb_mig_${randomBytes(5).toString('hex')}`;
    const store = backend === 'clickhouse' ? createHttpStore(testServices().clickhouseUrl, database) : createChdbStore(join(chdbDataDir(), 'chdb'), database);
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    for (const store of stores) {
      await store.command('DROP DATABASE IF EXISTS {db:Identifier}').catch(() => undefined);
      await store.close();
    }
  });

  const tableCount = async (store: MeteringStore) =>
    (await store.query('SELECT count() AS n FROM system.tables WHERE database = {name:String}', { name: store.database }, z.object({ n: chInt })))[0]!.n;
  const versions = (store: MeteringStore) =>
    store.query(
      'SELECT version, count() AS n FROM {db:Identifier}.schema_migrations FINAL GROUP BY version ORDER BY version',
      {},
      z.object({ version: z.string(), n: chInt }),
    );

  it('applies every file once; a second run applies nothing and creates nothing', async () => {
    const store = fresh();
    expect(await migrateClickHouse(store)).toEqual(CH_FILES);
    const tables = await tableCount(store);
    expect(tables).toBeGreaterThan(1);
    expect(await migrateClickHouse(store)).toEqual([]);
    expect(await tableCount(store)).toBe(tables);
    expect((await versions(store)).map((v) => [v.version, Number(v.n)])).toEqual(CH_FILES.map((f) => [f, 1]));
  });

  it('two concurrent runs on a fresh database end in the same schema as one', async () => {
    const reference = fresh();
    await migrateClickHouse(reference);
    const store = fresh();
    await Promise.all([migrateClickHouse(store), migrateClickHouse(store)]);
    expect(await tableCount(store)).toBe(await tableCount(reference));
    const distinct = await store.query(
      'SELECT DISTINCT version FROM {db:Identifier}.schema_migrations ORDER BY version',
      {},
      z.object({ version: z.string() }),
    );
    expect(distinct.map((r) => r.version)).toEqual(CH_FILES);
    expect(await migrateClickHouse(store)).toEqual([]);
  });
});
