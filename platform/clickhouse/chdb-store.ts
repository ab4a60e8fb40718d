import { mkdirSync } from 'node:fs';
import { Session } from 'chdb';
import { bindParams, toJsonLines, MAX_QUERY_BYTES, type MeteringStore, type Params } from './store';
import { readRows, type RawRow } from './rows';

// chDB is one engine per process: every store in this process shares the first session opened.
let shared: { path: string; session: Session; users: number } | undefined;

function openSession(path: string): Session {
  if (shared && shared.path !== path) {
    throw new Error(`chDB is already open at ${shared.path} in this process; cannot also open ${path}`);
  }
  if (!shared) {
    mkdirSync(path, { recursive: true });
    shared = { path, session: new Session(path), users: 0 };
    shared.session.query(`SET max_query_size = ${MAX_QUERY_BYTES}`, 'TSV');
  }
  shared.users += 1;
  return shared.session;
}

const parseRows = (text: string): RawRow[] =>
  text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as RawRow);

/** chDB in-process (the embedded default): same SQL, no server, data kept under `path`. */
export function createChdbStore(path: string, database: string): MeteringStore {
  const session = openSession(path);
  let closed = false;
  return {
    kind: 'chdb',
    database,
    command: async (sql, params: Params = {}) => {
      await session.queryAsync(bindParams(sql, params, database), { format: 'TSV' });
    },
    query: async (sql, params, rows) => {
      const result = await session.queryAsync(bindParams(sql, params, database), { format: 'JSONEachRow' });
      return readRows(parseRows(result.text()), rows);
    },
    insert: async (table, rows) => {
      if (rows.length === 0) return;
      await session.insert({ table: `${database}.${table}`, values: toJsonLines(rows), format: 'JSONEachRow' });
    },
    running: async () => [],
    ping: async () => session.query('SELECT 1', 'TSV').trim() === '1',
    close: async () => {
      if (closed || !shared) return;
      closed = true;
      shared.users -= 1;
      if (shared.users === 0) {
        shared.session.close();
        shared = undefined;
      }
    },
  };
}
