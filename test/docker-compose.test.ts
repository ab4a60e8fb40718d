import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../platform/config';

// There is no Docker engine here: the file is checked as data, against what the app needs.
const compose = parse(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8'));
const services: Record<string, any> = compose.services;

/** Short syntax ("127.0.0.1:3000:3000", "3000") or long syntax ({ host_ip, published, target }). */
const hostIpOf = (port: unknown): string | undefined => {
  if (typeof port === 'object' && port !== null) return (port as { host_ip?: string }).host_ip;
  const parts = String(port)
    .replace(/\/(tcp|udp)$/, '')
    .split(':');
  return parts.length === 3 ? parts[0] : undefined;
};
const publishedOf = (port: unknown) =>
  typeof port === 'object' && port !== null ? Number((port as { published: unknown }).published) : Number(String(port).split(':').at(-2));

describe('docker-compose.yml', () => {
  it('has the app and the services it talks to', () => {
    expect(Object.keys(services).sort()).toEqual(['app', 'clickhouse', 'postgres', 'temporal']);
    expect(services.postgres.image).toMatch(/^postgres:17/);
    expect(services.clickhouse.image).toMatch(/^clickhouse\/clickhouse-server:25\.8/);
    expect(services.temporal.image).toMatch(/^temporalio\//);
  });

  it('binds every published port to 127.0.0.1 only', () => {
    const ports = Object.entries(services).flatMap(([name, s]) => ((s.ports ?? []) as unknown[]).map((p) => ({ name, ip: hostIpOf(p) })));
    expect(ports.length).toBeGreaterThanOrEqual(5);
    for (const p of ports) expect(p).toEqual({ name: p.name, ip: '127.0.0.1' });
    for (const s of Object.values(services)) expect(s.network_mode).toBeUndefined();
  });

  it('publishes the API, the Temporal UI and Temporal gRPC', () => {
    const published = (name: string) => (services[name].ports as unknown[]).map(publishedOf);
    expect(published('app')).toContain(3000);
    expect(published('temporal')).toEqual(expect.arrayContaining([7233, 8233]));
  });

  it("points the app's environment at the compose services, and the config accepts it", () => {
    const env = services.app.environment as Record<string, string>;
    expect(new URL(env.DATABASE_URL!).hostname).toBe('postgres');
    expect(new URL(env.CLICKHOUSE_URL!).hostname).toBe('clickhouse');
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.HOST).toBe('0.0.0.0');
    const ready = Object.fromEntries(
      Object.entries(env)
        .filter(([, v]) => !/^\$\{/.test(String(v)))
        .map(([k, v]) => [k, String(v)]),
    );
    const config = loadConfig(ready);
    expect(config).toMatchObject({ PORT: 3000, TEMPORAL_ADDRESS: 'temporal:7233' });
  });

  it('uses the credentials Postgres and ClickHouse are started with', () => {
    const pg = services.postgres.environment;
    const db = new URL(services.app.environment.DATABASE_URL);
    expect([db.username, db.password, db.pathname]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
    const ch = services.clickhouse.environment;
    const chUrl = new URL(services.app.environment.CLICKHOUSE_URL);
    expect([chUrl.username, chUrl.password, chUrl.port]).toEqual([ch.CLICKHOUSE_USER, ch.CLICKHOUSE_PASSWORD, '8123']);
  });

  it('registers the search attributes the workflows set', () => {
    const args = (services.temporal.command as string[]).join(' ');
    for (const name of ['AccountId', 'AppId', 'CustomerId', 'StripeObjectId']) expect(args).toContain(`--search-attribute=${name}=Keyword`);
  });

  it("starts the app after its dependencies are healthy, with npm ci and then npm's start script", () => {
    const dependsOn = services.app.depends_on as Record<string, { condition: string }>;
    for (const name of ['temporal', 'postgres', 'clickhouse']) {
      expect(dependsOn[name]).toEqual({ condition: 'service_healthy' });
      expect(services[name].healthcheck.test.length).toBeGreaterThan(0);
    }
    // The start script itself, exec'd as PID 1 so `docker stop` reaches it (npm does not pass signals on).
    const { scripts } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(services.app.command.at(-1)).toBe(`npm ci && exec ${scripts.start}`);
  });
});
