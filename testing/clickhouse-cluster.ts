// A ClickHouse cluster on this machine for tests and benchmarks: shards x replicas of Debian's
// clickhouse-server and one Debian ZooKeeper, on free ports, each server with a config of its
// own (remote_servers, zookeeper, macros) written next to its data.
import fs from 'node:fs';
import path from 'node:path';
import { startClickHouseServer, type ClickHouseServer } from './clickhouse-server';
import { freePort } from '../embedded/ports';
import { startZooKeeperServer, type ZooKeeperServer } from './zookeeper-server';

export interface ClickHouseClusterNode extends ClickHouseServer {
  shard: number;
  replica: number;
  tcpPort: number;
}

export interface ClickHouseCluster {
  /** The name in every server's remote_servers (CLICKHOUSE_CLUSTER). */
  name: string;
  nodes: ClickHouseClusterNode[];
  zookeeper: ZooKeeperServer;
  stop(): Promise<void>;
}

const STOCK = '/etc/clickhouse-server';

const clusterXml = (name: string, nodes: { shard: number; tcpPort: number }[], zk: ZooKeeperServer, self: { shard: number; replica: number }): string => {
  const shards = [...new Set(nodes.map((n) => n.shard))]
    .map(
      (s) => `
      <shard><internal_replication>true</internal_replication>${nodes
        .filter((n) => n.shard === s)
        .map(
          (n) => `
        <replica><host>127.0.0.1</host><port>${n.tcpPort}</port></replica>`,
        )
        .join('')}
      </shard>`,
    )
    .join('');
  // Replica names are unique in the whole cluster: the migration ledger has one replica per server.
  return `<?xml version="1.0"?>
<yandex>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <remote_servers replace="replace"><${name}>${shards}
  </${name}></remote_servers>
  <zookeeper replace="replace"><node><host>${zk.host}</host><port>${zk.port}</port></node><session_timeout_ms>6000</session_timeout_ms></zookeeper>
  <macros replace="replace"><shard>${self.shard}</shard><replica>s${self.shard}r${self.replica}</replica></macros>
</yandex>
`;
};

export async function startClickHouseCluster(opts: {
  workDir: string;
  logDir: string;
  name?: string;
  shards?: number;
  replicas?: number;
}): Promise<ClickHouseCluster> {
  const name = opts.name ?? 'tollbooth';
  const zookeeper = await startZooKeeperServer({ dataDir: path.join(opts.workDir, 'zookeeper'), logDir: opts.logDir });
  const layout: { shard: number; replica: number; tcpPort: number }[] = [];
  for (let shard = 1; shard <= (opts.shards ?? 2); shard++) {
    for (let replica = 1; replica <= (opts.replicas ?? 2); replica++) layout.push({ shard, replica, tcpPort: await freePort() });
  }
  const started: ClickHouseClusterNode[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(started.map((n) => n.stop()));
    await zookeeper.stop();
  };
  try {
    // One at a time: on two loaded cores, four servers starting together time each other out.
    for (const member of layout) {
      const id = `s${member.shard}r${member.replica}`;
      const confDir = path.join(opts.workDir, `clickhouse-${id}`, 'conf');
      fs.mkdirSync(path.join(confDir, 'config.d'), { recursive: true });
      fs.copyFileSync(path.join(STOCK, 'config.xml'), path.join(confDir, 'config.xml'));
      fs.copyFileSync(path.join(STOCK, 'users.xml'), path.join(confDir, 'users.xml'));
      fs.writeFileSync(path.join(confDir, 'config.d', 'cluster.xml'), clusterXml(name, layout, zookeeper, member));
      const server = await startClickHouseServer({
        configFile: path.join(confDir, 'config.xml'),
        dataDir: path.join(opts.workDir, `clickhouse-${id}`, 'data'),
        logDir: path.join(opts.logDir, `clickhouse-${id}`),
        tcpPort: member.tcpPort,
      });
      started.push(Object.assign(server, member));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, nodes: started, zookeeper, stop };
}
