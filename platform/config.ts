import { z } from 'zod';

/**
 * The only reader of process.env. Every setting of the service is declared here, parsed once,
 * and a bad value stops start-up with a message naming the variable.
 */
const optionalUrl = z.string().url().optional();
const secret = (min: number) => z.string().min(min).optional();

/** Where the service's dev tools come from; read by embedded/ (tool resolution, cache) and testing/ before any other config. */
const toolsShape = {
  /** A `temporal` binary to use instead of resolving one (see embedded/temporal-cli.ts). */
  TEMPORAL_CLI: z.string().min(1).optional(),
  /** A `stripe-mock` binary (tests only). */
  STRIPE_MOCK_BIN: z.string().min(1).optional(),
  /** Machine-wide cache of tools and the workflow bundle; default ~/.cache/tollbooth. */
  TOLLBOOTH_CACHE: z.string().min(1).optional(),
};

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Unset: `npm start` serves an embedded PGlite from DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** Unset: chDB in-process, stored in DATA_DIR. */
  CLICKHOUSE_URL: optionalUrl,
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('tollbooth'),
  /**
   * Unset: one ClickHouse server (or chDB). Set: the name of a cluster in the servers'
   * remote_servers; tables are replicated and sharded by account (needs CLICKHOUSE_URL).
   */
  CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .optional(),
  /**
   * Cluster mode: replicas of a shard that must hold an insert before it is acknowledged. Set it
   * to the replicas per shard: whichever replica answers a duplicate lookup then has every
   * acknowledged event (see docs/ARCHITECTURE.md).
   */
  CLICKHOUSE_INSERT_QUORUM: z.coerce.number().int().min(1).max(16).default(2),
  /** Unset: `npm start` runs the Temporal CLI dev server with its data in DATA_DIR. */
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'must be host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('tollbooth'),
  /** Unset: `npm start` generates one and keeps it in DATA_DIR/admin-token. */
  ADMIN_TOKEN: secret(16),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, 'must start with sk_test_, sk_live_ or rk_')
    .optional(),
  /** For stripe-mock in tests: http://127.0.0.1:12111 */
  STRIPE_API_BASE: optionalUrl,
  STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_', 'must start with whsec_').optional(),
  STRIPE_CONNECT_WEBHOOK_SECRET: z.string().startsWith('whsec_', 'must start with whsec_').optional(),
  /** The platform's cut of every Connect payment, in basis points (100 = 1%). */
  PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(500),
  /** Request bodies above this many bytes answer 413. 10,000 usage events fit in ~2 MB. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  ...toolsShape,
  /**
   * Request budgets per window (RATE_LIMIT_WINDOW_SECONDS, one second by default), per API process (0 = unlimited). Usage routes (ingestion and
   * limit checks) are machine traffic at thousands of requests/s; the other routes serve
   * people and apps. Each budget applies per key and, separately, per account.
   */
  RATE_LIMIT_USAGE_PER_KEY: z.coerce.number().int().min(0).default(20_000),
  RATE_LIMIT_USAGE_PER_ACCOUNT: z.coerce.number().int().min(0).default(10_000),
  RATE_LIMIT_API_PER_KEY: z.coerce.number().int().min(0).default(100),
  RATE_LIMIT_API_PER_ACCOUNT: z.coerce.number().int().min(0).default(300),
  /** The budgets' fixed window; a longer one admits the same average with larger bursts. */
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(1),
  /** A request's headers must arrive within this many ms, the whole request (body included) within REQUEST_TIMEOUT_MS. */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * How long an idle keep-alive connection stays open. Longer than clients' and load balancers'
   * own idle timeouts (often 60 s), so the server is never the side that closes a connection
   * just as a client sends on it, which the client sees as a reset request it cannot retry.
   */
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(65_000),
  /**
   * On SIGTERM, `bin/api.ts` and `bin/worker.ts` stop taking work and give the requests and
   * activities in flight this many ms to finish before cutting them.
   */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
  /**
   * Unset: off. Set: the worker serves the Temporal SDK's own Prometheus metrics (workflows
   * completed / failed / timed out, activity failures, task latencies) on HOST:this port at
   * /metrics. Off by default: several workers on one host would need a port each.
   */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses an environment (process.env by default); throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const config = parseEnv(configSchema, env);
  if (config.CLICKHOUSE_CLUSTER && !config.CLICKHOUSE_URL) {
    throw new ConfigError('Invalid configuration:\n  CLICKHOUSE_CLUSTER: needs CLICKHOUSE_URL (a server of the cluster); chDB has no cluster mode');
  }
  return config;
}

function parseEnv<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>): z.infer<T> {
  // Empty strings count as unset: `FOO= npm start` should mean "no FOO", not "bad FOO".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
}

const toolsSchema = z.object({ ...toolsShape, PATH: z.string().default('') });
export type ToolsConfig = z.infer<typeof toolsSchema>;

/**
 * Just the tool settings (and PATH, where tools are looked up): the test harness and scripts
 * resolve tools without a full service configuration.
 */
export function loadToolsConfig(env: Record<string, string | undefined> = process.env): ToolsConfig {
  return parseEnv(toolsSchema, env);
}

const cliSchema = z.object({
  /** The API the operator CLI (`npx tollbooth`) talks to. */
  TOLLBOOTH_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** A service key (scope usage:write) for `usage import`; unset: the CLI mints one with the admin token. */
  TOLLBOOTH_SERVICE_KEY: z.string().startsWith('tb_', 'must be a Tollbooth key (tb_...)').optional(),
  ADMIN_TOKEN: configSchema.shape.ADMIN_TOKEN,
  DATA_DIR: configSchema.shape.DATA_DIR,
});
export type CliConfig = z.infer<typeof cliSchema>;

/** The operator CLI's settings: where the API is and the credentials to call it with. */
export function loadCliConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  return parseEnv(cliSchema, env);
}

/** The environment a tool we run (go install, apt-get) inherits from us, plus `extra`. */
export const childEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ ...process.env, ...extra });

/** Variables the test harness and bin/start pass to child processes (never secrets of users). */
export function envOf(config: Partial<Config>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}
