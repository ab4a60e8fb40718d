import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../platform/config';

const ROOT = join(__dirname, '..', '..');

describe('loadConfig', () => {
  it('fills the documented defaults from an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATA_DIR: '.data',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_UI_PORT: 8233,
      CLICKHOUSE_DATABASE: 'tollbooth',
      MAX_BODY_BYTES: 4 * 1024 * 1024,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.CLICKHOUSE_URL).toBeUndefined();
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.STRIPE_SECRET_KEY).toBeUndefined();
  });

  it('parses given values and treats empty strings as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      TEMPORAL_ADDRESS: 'localhost:7233',
      STRIPE_WEBHOOK_SECRET: '',
      DATABASE_URL: '',
    });
    expect(config.PORT).toBe(8080);
    expect(config.CLICKHOUSE_URL).toBe('http://127.0.0.1:8123');
    expect(config.STRIPE_WEBHOOK_SECRET).toBeUndefined();
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['CLICKHOUSE_URL', 'not-a-url'],
    ['STRIPE_WEBHOOK_SECRET', 'nope'],
    ['STRIPE_CONNECT_WEBHOOK_SECRET', 'nope'],
    ['STRIPE_SECRET_KEY', 'pk_test_123'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['TEMPORAL_ADDRESS', 'no-port'],
    ['ADMIN_TOKEN', 'short'],
    ['MAX_BODY_BYTES', '10'],
    ['CLICKHOUSE_CLUSTER', 'not a name'],
    ['CLICKHOUSE_CLUSTER', 'tollbooth'], // without CLICKHOUSE_URL: chDB has no cluster mode
    ['CLICKHOUSE_INSERT_QUORUM', '0'],
  ])('%s=%s throws a ConfigError naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'abc', CLICKHOUSE_URL: 'not-a-url' })).toThrow(/PORT[\s\S]*CLICKHOUSE_URL|CLICKHOUSE_URL[\s\S]*PORT/);
  });
});

describe('bin/start.ts with a bad variable', () => {
  it('exits with code 1 and names the variable on stderr', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tollbooth-config-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: 'abc', DATA_DIR: dataDir };
      const child = spawn('npx', ['tsx', 'bin/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toMatch(/\bPORT\b/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
