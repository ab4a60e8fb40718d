// A Debian clickhouse-server on free ports with its own data dir. The handle
// can stop() and start() again on the same port and data, to simulate outages.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aptInstall } from './apt';
import { spawnService, type ServiceProcess } from '../embedded/child';
import { freePort, waitFor } from '../embedded/ports';

export interface ClickHouseServerOptions {
  /** Persistent data dir; default: a temp dir removed by dispose(). */
  dataDir?: string;
  logDir: string;
  httpPort?: number;
  tcpPort?: number;
  interserverPort?: number;
  /** A config.xml of its own (a cluster member's, see clickhouse-cluster.ts); default: Debian's. */
  configFile?: string;
}

export interface ClickHouseServer {
  url: string;
  httpPort: number;
  dataDir: string;
  /** pid of the current server process (-1 when stopped). */
  readonly pid: number;
  stop(): Promise<void>;
  /** Restart on the same ports and data dir; resolves when /ping answers. */
  start(): Promise<void>;
  /** stop() and delete the data dir if it was a temp dir we created. */
  dispose(): Promise<void>;
}

const CONFIG = '/etc/clickhouse-server/config.xml';
// Debian's 18.16 package puts it in /usr/sbin; upstream packages use /usr/bin.
const findBinary = (): string | undefined => ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'].find((f) => fs.existsSync(f));

async function ensureClickHouse(): Promise<string> {
  const found = findBinary();
  if (found && fs.existsSync(CONFIG)) return found;
  await aptInstall(['clickhouse-server', 'clickhouse-client'], 'ClickHouse server missing');
  const installed = findBinary();
  if (!installed || !fs.existsSync(CONFIG)) throw new Error(`apt did not provide clickhouse-server and ${CONFIG}`);
  return installed;
}

export async function startClickHouseServer(opts: ClickHouseServerOptions): Promise<ClickHouseServer> {
  const binary = await ensureClickHouse();
  const temporary = !opts.dataDir;
  const dataDir = path.resolve(opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tollbooth-ch-')));
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(opts.logDir, { recursive: true });
  const httpPort = opts.httpPort ?? (await freePort());
  const tcpPort = opts.tcpPort ?? (await freePort());
  // 9009 (interserver) is in the stock config too: several instances would collide.
  const interserverPort = opts.interserverPort ?? (await freePort());
  const d = `${dataDir}/`;
  const args = [
    `--config-file=${opts.configFile ?? CONFIG}`,
    '--', // everything after this overrides config.xml keys
    `--path=${d}`,
    `--tmp_path=${d}tmp/`,
    `--user_files_path=${d}user_files/`,
    `--format_schema_path=${d}format_schemas/`,
    `--http_port=${httpPort}`,
    `--tcp_port=${tcpPort}`,
    `--interserver_http_port=${interserverPort}`,
    '--listen_host=127.0.0.1', // stock config also binds ::1, which may not exist
    '--logger.console=0',
    `--logger.log=${path.join(opts.logDir, 'clickhouse.log')}`,
    `--logger.errorlog=${path.join(opts.logDir, 'clickhouse.err.log')}`,
  ];
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ServiceProcess | undefined;

  const start = async (): Promise<void> => {
    if (child && !child.exitReason()) return;
    const proc = spawnService({
      name: 'clickhouse-server',
      command: binary,
      args,
      cwd: dataDir,
      logFile: path.join(opts.logDir, 'clickhouse.out.log'),
    });
    child = proc;
    try {
      await waitFor(() => ping(url), { timeoutMs: 60_000, what: `clickhouse on ${url}`, giveUp: proc.exitReason });
    } catch (err) {
      await proc.stop();
      throw err;
    }
  };
  const stop = async (): Promise<void> => {
    await child?.stop();
  };

  const removeTemp = (): void => {
    if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  await start().catch((err: unknown) => {
    removeTemp();
    throw err;
  });
  return {
    url,
    httpPort,
    dataDir,
    get pid() {
      return child && !child.exitReason() ? child.pid : -1;
    },
    stop,
    start,
    async dispose() {
      await stop();
      removeTemp();
    },
  };
}

export async function ping(url: string): Promise<boolean> {
  const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
  return res.ok && (await res.text()).trim() === 'Ok.';
}
