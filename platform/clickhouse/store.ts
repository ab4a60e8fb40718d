/**
 * One metering store interface, two adapters: Debian's ClickHouse 18.16 over HTTP and chDB
 * (ClickHouse 26.7 in-process). Everything above this file is written once for both.
 */
import type { RowReader } from './rows';

export type ParamValue = string | number | bigint | boolean | Date | readonly (string | number)[];
export type Params = Record<string, ParamValue>;

export interface MeteringStore {
  readonly kind: 'clickhouse' | 'chdb';
  /** The database every table of ours lives in; tables are always qualified with it. */
  readonly database: string;
  /**
   * Cluster mode: the cluster's name. Each table is then a Distributed table (sharded by
   * account) over replicated `<table>_local` tables; migrations create both (metering/cluster-ddl.ts).
   */
  readonly cluster?: string;
  /** DDL and other statements without a result. */
  command(sql: string, params?: Params): Promise<void>;
  /**
   * Rows of a SELECT, read through `rows` (a zod schema or a light mapper, see rows.ts). The
   * parameters are checked against the types their placeholders declare (bindParams).
   */
  query<T>(sql: string, params: Params, rows: RowReader<T>): Promise<T[]>;
  /**
   * Inserts rows into a table of `database`; resolves once they are durable. A string is a
   * ready JSONEachRow payload (how exact decimals travel: as JSON numbers written digit by digit).
   */
  insert(table: string, rows: readonly object[] | string, opts?: { queryId?: string }): Promise<void>;
  /**
   * Ids of the queries running on the server whose id starts with `prefix` (always none for
   * chDB: its queries run inside this process and end with it).
   */
  running(prefix: string): Promise<string[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Both adapters let ClickHouse parse statements up to this size (its default is 256 KiB): a
 * primary-key lookup of a whole ingest group is one statement instead of dozens.
 */
export const MAX_QUERY_BYTES = 16 * 1024 * 1024;

/** Thrown when the store cannot be reached: the API turns it into 503, never into a lost event. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  /** True when nothing listens at the address: no query of ours can be running there. */
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
  }
}

const quoteString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function literal(value: ParamValue, type: string): string {
  // `x IN {ids:InList(String)}`: 18.16 wants a parenthesised list for IN, not an array.
  if (type.startsWith('InList(')) {
    const items = value as readonly (string | number)[];
    if (items.length === 0) throw new TypeError('an IN list needs at least one value');
    return `(${items.map((v) => literal(v, type.slice(7, -1))).join(', ')})`;
  }
  if (Array.isArray(value)) {
    const inner = type.replace(/^Array\((.*)\)$/, '$1');
    return `[${value.map((v) => literal(v, inner)).join(', ')}]`;
  }
  if (type.startsWith('String')) return quoteString(String(value));
  if (type.startsWith('DateTime')) {
    const seconds = value instanceof Date ? Math.floor(value.getTime() / 1000) : Number(value);
    if (!Number.isSafeInteger(seconds)) throw new TypeError(`bad DateTime parameter: ${String(value)}`);
    return `toDateTime(${seconds}, 'UTC')`;
  }
  if (type === 'Date') {
    const text = value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new TypeError(`bad Date parameter: ${text}`);
    return `toDate('${text}')`;
  }
  if (/^(U?Int\d+|Float\d+|Decimal)/.test(type)) {
    const text = String(value);
    if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) throw new TypeError(`bad ${type} parameter: ${text}`);
    return type.startsWith('Decimal') ? `toDecimal128('${text}', 9)` : text;
  }
  throw new TypeError(`unsupported parameter type ${type}`);
}

/**
 * Binds `{name:Type}` placeholders on the client. ClickHouse 18.16 predates server-side query
 * parameters, so both adapters render typed, escaped literals here: values never become SQL.
 * `{db:Identifier}` is the store's database (an identifier checked by the config schema).
 */
export function bindParams(sql: string, params: Params, database: string): string {
  return sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9_(), ]+)\}/g, (_m, name: string, type: string) => {
    if (type === 'Identifier' && name === 'db') return `\`${database}\``;
    const value = params[name];
    if (value === undefined) throw new TypeError(`missing query parameter ${name}`);
    return literal(value, type.trim());
  });
}

export const toJsonLines = (rows: readonly object[] | string): string => (typeof rows === 'string' ? rows : rows.map((r) => JSON.stringify(r)).join('\n'));
