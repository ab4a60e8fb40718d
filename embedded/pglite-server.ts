// Embedded Postgres for `npm start`: PGlite (WASM Postgres, data persisted in
// dataDir) served over the Postgres wire protocol so `pg` connects unchanged.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import fs from 'node:fs';
import { keepProtocolBatchesWhole } from './pglite-batches';

export interface PgliteServerOptions {
  dataDir: string;
  /** Default 0: the OS picks a free port (no race with other processes). */
  port?: number;
  host?: string;
  /**
   * Concurrent client connections (default 32; pg.Pool defaults to 10).
   * PGlite is ONE Postgres session: the socket server multiplexes connections
   * onto it, serialising queries and holding every other connection back while
   * one is inside a transaction or an extended-protocol batch (see
   * pglite-batches.ts; so pool.query() from inside a transaction on another
   * client waits forever). Session state (SET, named prepared
   * statements, temp tables) is shared by all connections. Connections over
   * the limit are dropped (pg reports ECONNRESET), not queued.
   */
  maxConnections?: number;
}

export interface PgliteServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startPgliteServer(opts: PgliteServerOptions): Promise<PgliteServer> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  const server = new PGLiteSocketServer({
    db,
    host,
    port: opts.port ?? 0,
    maxConnections: opts.maxConnections ?? 32,
  });
  keepProtocolBatchesWhole(server, db);
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  // start() resolves after listen(); the chosen port is in getServerConn() ("host:port").
  const port = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    port,
    async stop() {
      await server.stop();
      await db.close(); // flushes to dataDir
    },
  };
}
