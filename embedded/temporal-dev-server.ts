// `temporal server start-dev` (the Temporal CLI of temporal-cli.ts) on free ports.
import { Connection } from '@temporalio/client';
import path from 'node:path';
import { spawnService } from './child';
import { freePort, waitFor } from './ports';

export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Datetime' | 'Bool' | 'Double' | 'KeywordList';

export interface TemporalDevServerOptions {
  /** Path to the CLI binary, see ensureTemporalCli(). */
  executable: string;
  /** SQLite file for persistence; default: in-memory (lost on stop). */
  dbFile?: string;
  ip?: string;
  port?: number;
  /** Serve the Web UI (default false: headless saves memory and a port). */
  ui?: boolean;
  uiPort?: number;
  namespace: string;
  searchAttributes: Record<string, SearchAttributeType>;
  logDir: string;
}

export interface TemporalDevServer {
  /** host:port of the frontend gRPC service. */
  address: string;
  uiUrl: string | undefined;
  namespace: string;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const uiPort = opts.ui ? (opts.uiPort ?? (await freePort())) : undefined;
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-format', 'json'];
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  // "default" always exists; --namespace creates additional ones.
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const [name, type] of Object.entries(opts.searchAttributes)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));

  const child = spawnService({
    name: 'temporal',
    command: opts.executable,
    args,
    logFile: path.join(opts.logDir, 'temporal.log'),
  });
  const address = `${ip}:${port}`;
  try {
    await waitFor(() => namespaceReady(address, opts.namespace, Object.keys(opts.searchAttributes)), {
      timeoutMs: 60_000,
      intervalMs: 300,
      what: `temporal dev server on ${address}`,
      giveUp: child.exitReason,
    });
  } catch (err) {
    await child.stop();
    throw err;
  }
  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://${ip}:${uiPort}`,
    namespace: opts.namespace,
    stop: () => child.stop(),
  };
}

/**
 * Ready = the frontend answers DescribeNamespace and the search attributes are
 * registered (a TCP accept alone happens before the namespace exists).
 */
async function namespaceReady(address: string, namespace: string, attributes: string[]): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return attributes.every((name) => customAttributes?.[name] !== undefined);
  } finally {
    await connection.close();
  }
}
