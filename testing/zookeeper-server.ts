// Debian's ZooKeeper (3.8) standalone on a free port with its own data dir, for a ClickHouse
// cluster's replication log and distributed DDL queue. stop() and start() keep port and data.
import fs from 'node:fs';
import path from 'node:path';
import { aptInstall } from './apt';
import { spawnService, type ServiceProcess } from '../embedded/child';
import { freePort, waitFor } from '../embedded/ports';
import { isListening } from './tcp';

const JAR = '/usr/share/java/zookeeper.jar';

export interface ZooKeeperServer {
  host: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startZooKeeperServer(opts: { dataDir: string; logDir: string }): Promise<ZooKeeperServer> {
  if (!fs.existsSync(JAR)) await aptInstall(['zookeeper'], 'ZooKeeper missing');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const port = await freePort();
  const cfg = path.join(opts.dataDir, 'zoo.cfg');
  // The admin server (HTTP, port 8080 by default) would collide between instances; nobody uses it.
  fs.writeFileSync(
    cfg,
    [`dataDir=${opts.dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'tickTime=500', 'admin.enableServer=false', 'maxClientCnxns=0', ''].join(
      '\n',
    ),
  );
  let child: ServiceProcess | undefined;
  const start = async (): Promise<void> => {
    if (child && !child.exitReason()) return;
    const proc = spawnService({
      name: 'zookeeper',
      command: 'java',
      args: ['-Xmx256m', '-cp', `/etc/zookeeper/conf:${JAR}`, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg],
      logFile: path.join(opts.logDir, 'zookeeper.log'),
    });
    child = proc;
    await waitFor(() => isListening(port), { timeoutMs: 60_000, what: `zookeeper on ${port}`, giveUp: proc.exitReason });
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    start,
    stop: async () => {
      await child?.stop();
    },
  };
}
