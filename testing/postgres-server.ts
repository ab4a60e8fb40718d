// A throwaway (or persistent) Debian PostgreSQL server on a free port.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { aptInstall, isRoot } from './apt';
import { spawnService } from '../embedded/child';
import { freePort, waitFor } from '../embedded/ports';

export interface PostgresServerOptions {
  /** Persistent data dir; default: a fresh temp dir removed on stop(). */
  dataDir?: string;
  logDir: string;
  port?: number;
  /** fsync etc. stay on only when asked: tests want speed, not crash safety. */
  durable?: boolean;
}

export interface PostgresServer {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

const PG_ROOT = '/usr/lib/postgresql';

function findPgBin(): string | undefined {
  const versions = fs.existsSync(PG_ROOT) ? fs.readdirSync(PG_ROOT) : [];
  const usable = versions.filter((v) => fs.existsSync(path.join(PG_ROOT, v, 'bin', 'initdb')));
  const newest = usable.sort((a, b) => Number(b) - Number(a))[0];
  return newest && path.join(PG_ROOT, newest, 'bin');
}

async function ensurePgBin(): Promise<string> {
  const found = findPgBin();
  if (found) return found;
  await aptInstall(['postgresql'], `PostgreSQL server binaries missing (${PG_ROOT}/*/bin/initdb)`);
  const installed = findPgBin();
  if (!installed) throw new Error('apt-get install postgresql did not provide initdb');
  return installed;
}

/** Postgres refuses to run as root, so as root we run it as `postgres`. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no `postgres` user to run the server as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgresServer(opts: PostgresServerOptions): Promise<PostgresServer> {
  const bin = await ensurePgBin();
  const user = serverUser();
  const temporary = !opts.dataDir;
  const dataDir = opts.dataDir ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tollbooth-pg-')), 'data');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) {
    // mkdtemp makes a root-only 0700 dir: hand it (and the data dir) to postgres.
    if (temporary) fs.chownSync(path.dirname(dataDir), user.uid, user.gid);
    fs.chownSync(dataDir, user.uid, user.gid);
  }
  const logFile = path.join(opts.logDir, 'postgres.log');
  fs.mkdirSync(opts.logDir, { recursive: true });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const args = ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'];
    const { stdout, stderr } = await promisify(execFile)(path.join(bin, 'initdb'), args, { ...user, cwd: '/' });
    fs.appendFileSync(logFile, stdout + stderr);
  }

  const port = opts.port ?? (await freePort());
  const fast = opts.durable ? [] : ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];
  const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${dataDir}`, ...fast];
  const child = spawnService({
    name: 'postgres',
    command: path.join(bin, 'postgres'),
    args: ['-D', dataDir, '-p', String(port), ...settings.flatMap((s) => ['-c', s])],
    logFile,
    cwd: '/',
    ...user,
    stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM would wait for clients to disconnect
  });

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    await child.stop();
    if (temporary) fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, what: `postgres on port ${port}`, giveUp: child.exitReason },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, dataDir, stop };
}
