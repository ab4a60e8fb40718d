import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../platform/config';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { checkComposeFiles, type ComposeService } from '../testing/compose-check';
import { PRODUCTION_COMPOSE, PRODUCTION_SECRETS, ROOT } from './helpers/compose-files';

// The production-shaped file as compose-go resolves it (anchors merged, variables interpolated),
// checked against what the app's cluster mode and workers need from it.
let services: Map<string, ComposeService>;
const service = (name: string): ComposeService => services.get(name) ?? fail(`no service ${name}`);
const all = (prefix: string) => [...services.values()].filter((s) => s.name.startsWith(prefix));
const xml = (file: string) => readFileSync(join(ROOT, 'deploy', 'clickhouse', file), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
/** The text of every <tag>...</tag> directly matched in `text`, in order. */
const elements = (text: string, tag: string) => [...text.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!.trim());

beforeAll(async () => {
  const [report] = await checkComposeFiles([PRODUCTION_COMPOSE], PRODUCTION_SECRETS);
  expect(report!.error).toBeUndefined();
  services = new Map(report!.services!.map((s) => [s.name, s]));
}, 300_000);

describe('deploy/docker-compose.production.yml', () => {
  it('runs the API and the worker as separate services of one production build, with the build scripts', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const api = service('api');
    const worker = service('worker');
    expect(api.build).toEqual(worker.build);
    expect(api.image).toBe(worker.image);
    expect(api.command!.join(' ')).toBe(scripts['start:api']);
    expect(worker.command!.join(' ')).toBe(scripts['start:worker']);
    expect(worker.replicas).toBeGreaterThanOrEqual(2);
  });

  it('builds the image the way the build test runs it: npm run build, then dist/ with production dependencies', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/^RUN .*npm run build$/m);
    expect(stages[1]).toMatch(/^RUN npm ci --omit=dev/m);
    expect(stages[1]).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(stages[1]!)![1]!) as string[];
    expect(cmd.join(' ')).toBe(scripts['start:api']);
  });

  it('gives both a configuration the app accepts, in cluster mode, pointing at the compose services', () => {
    for (const name of ['api', 'worker']) {
      const env = service(name).environment;
      const config = loadConfig(env);
      expect(config).toMatchObject({ CLICKHOUSE_CLUSTER: 'tollbooth', TEMPORAL_ADDRESS: 'temporal:7233' });
      expect(services.has(new URL(config.DATABASE_URL!).hostname)).toBe(true);
      expect(services.has(new URL(config.CLICKHOUSE_URL!).hostname)).toBe(true);
      expect(config.ADMIN_TOKEN).toBe(PRODUCTION_SECRETS.ADMIN_TOKEN);
    }
    // Workers expose workflow failures to a scraper on the network, not on loopback.
    expect(loadConfig(service('worker').environment)).toMatchObject({ WORKER_METRICS_PORT: 9464, HOST: '0.0.0.0' });
  });

  it('uses the credentials Postgres and ClickHouse are started with', () => {
    const env = service('api').environment;
    const db = new URL(env.DATABASE_URL!);
    const pg = service('postgres').environment;
    expect([db.username, db.password, db.pathname]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
    const ch = new URL(env.CLICKHOUSE_URL!);
    for (const server of all('clickhouse-')) {
      expect([ch.username, ch.password]).toEqual([server.environment.CLICKHOUSE_USER, server.environment.CLICKHOUSE_PASSWORD]);
    }
  });

  it('describes the cluster the app names: every ClickHouse service a replica, as many as the insert quorum', () => {
    const env = service('api').environment;
    const cluster = xml('cluster.xml');
    const remote = elements(cluster, 'remote_servers')[0]!;
    const shards = elements(elements(remote, env.CLICKHOUSE_CLUSTER!)[0] ?? fail(`no cluster ${env.CLICKHOUSE_CLUSTER}`), 'shard');
    expect(shards).toHaveLength(1);
    const hosts = elements(shards[0]!, 'host');
    const servers = all('clickhouse-');
    expect(hosts.sort()).toEqual(servers.map((s) => s.hostname).sort());
    expect(hosts).toHaveLength(Number(env.CLICKHOUSE_INSERT_QUORUM));
    // Replicas replicate among themselves; the Distributed table writes to one per shard.
    expect(elements(shards[0]!, 'internal_replication')).toEqual(['true']);
    for (const s of servers) {
      expect(s.binds).toContainEqual({ source: join(ROOT, 'deploy', 'clickhouse', 'cluster.xml'), target: '/etc/clickhouse-server/config.d/cluster.xml' });
      expect(s.environment.CLICKHOUSE_SHARD).toBe('1');
      expect(s.environment.CLICKHOUSE_INTERSERVER_HOST).toBe(s.hostname);
    }
    // Unique in the whole cluster: the migration ledger is one table replicated on every server.
    const replicaNames = servers.map((s) => s.environment.CLICKHOUSE_REPLICA);
    expect(new Set(replicaNames).size).toBe(servers.length);
    expect(cluster).toMatch(/<replica from_env="CLICKHOUSE_REPLICA" \/>/);
    expect(cluster).toMatch(/<shard from_env="CLICKHOUSE_SHARD" \/>/);
  });

  it('coordinates through a Keeper ensemble of an odd number (>= 3) of nodes, each with its own id', () => {
    const keepers = all('keeper-');
    expect(keepers.length).toBeGreaterThanOrEqual(3);
    expect(keepers.length % 2).toBe(1);
    const zookeeper = elements(xml('cluster.xml'), 'zookeeper')[0]!;
    expect(elements(zookeeper, 'host').sort()).toEqual(keepers.map((k) => k.hostname).sort());
    const raft = elements(xml('keeper.xml'), 'server').map((s) => ({ id: elements(s, 'id')[0], hostname: elements(s, 'hostname')[0] }));
    expect(raft.sort((a, b) => a.id!.localeCompare(b.id!))).toEqual(keepers.map((k) => ({ id: k.environment.KEEPER_SERVER_ID, hostname: k.hostname })));
    for (const k of keepers) expect(k.binds.map((b) => b.target)).toContain('/etc/clickhouse-keeper/keeper_config.xml');
  });

  it('runs Temporal on its own Postgres with a schema job, registers our search attributes, and has the UI', () => {
    const temporal = service('temporal').environment;
    expect(temporal).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'temporal-postgres' });
    expect(Number(temporal.NUM_HISTORY_SHARDS)).toBeGreaterThanOrEqual(512);
    expect(temporal.POSTGRES_PWD).toBe(service('temporal-postgres').environment.POSTGRES_PASSWORD);
    expect(service('temporal').dependsOn).toEqual(['temporal-schema']);
    // The server image ships no dynamic config file and the server wants the one it is told of.
    expect(service('temporal').binds.map((b) => b.target)).toContain(temporal.DYNAMIC_CONFIG_FILE_PATH);
    expect(service('temporal-namespace').environment.SEARCH_ATTRIBUTES!.split(' ').sort()).toEqual(Object.keys(SEARCH_ATTRIBUTES).sort());
    expect(service('temporal-ui').environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(service('api').dependsOn).toContain('temporal-namespace');
  });

  it('binds every published port to 127.0.0.1 only', () => {
    const ports = [...services.values()].flatMap((s) => s.ports.map((p) => ({ service: s.name, hostIp: p.hostIp })));
    expect(ports.map((p) => p.service).sort()).toEqual(['api', 'clickhouse-1', 'temporal-ui']);
    for (const p of ports) expect(p).toEqual({ service: p.service, hostIp: '127.0.0.1' });
  });
});
