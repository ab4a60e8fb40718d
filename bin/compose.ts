import { createServer } from 'node:http';
import { NativeConnection, Worker, Runtime } from '@temporalio/worker';
import type { Config } from '../platform/config';
import { createDb } from '../platform/pg';
import { createLogger, type Logger } from '../platform/logger';
import { temporalLogger } from '../platform/temporal-logger';
import { createMeteringStore } from '../platform/clickhouse';
import { createStripe } from '../platform/stripe';
import { connectTemporal } from '../platform/temporal';
import { migratePostgres } from '../db/migrate';
import { migrateClickHouse } from '../metering/migrate';
import { createIngestor } from '../metering/ingest';
import { createLimitChecker } from '../metering/limits';
import { createActivities } from '../activities';
import { createApp } from '../api/app';
import type { ApiDeps } from '../api/deps';
import { drainable } from '../platform/http-drain';
import { loadWorkflowBundle } from './workflow-bundle';

export interface Stack {
  deps: ApiDeps;
  apiUrl?: string;
  worker?: Worker;
  /**
   * Stops taking work (the API stops accepting connections, the worker stops polling) and waits
   * up to SHUTDOWN_GRACE_MS for the requests and activities in flight. True when all finished in
   * time. Call close() after it.
   */
  drain(): Promise<boolean>;
  /** Cuts what is still in flight and closes every client. */
  close(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * The process's Temporal runtime, installed once: we own shutdown (bin/start.ts stops the worker
 * before the services it talks to). Tests that make their own Temporal environment call it first.
 * With `metricsAddress` (host:port) the SDK's core serves its Prometheus metrics there, so that
 * workflow failures, not only starts, can be alerted on.
 */
export function installWorkerRuntime(logger: Logger = createLogger('warn'), metricsAddress?: string): void {
  if (runtimeInstalled) return;
  // Worker logs go through pino. The native core's rare warnings stay on stderr: forwarding them
  // would route every line, ours included, through a 100 ms buffer on the main thread.
  Runtime.install({
    logger: temporalLogger(logger),
    shutdownSignals: [],
    ...(metricsAddress && {
      telemetryOptions: {
        // Prometheus conventions: counters end in _total, durations in seconds.
        metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } },
      },
    }),
  });
  runtimeInstalled = true;
}

/**
 * Wires one process: clients, migrations, then the API and/or the worker. bin/start.ts, bin/api.ts,
 * bin/worker.ts and the tests all build the service through this one function.
 */
export async function composeStack(config: Config, opts: { api?: boolean; worker?: boolean; logger?: Logger; migrate?: boolean } = {}): Promise<Stack> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS)
    throw new Error('composeStack needs DATABASE_URL and TEMPORAL_ADDRESS (bin/start.ts provides embedded ones)');
  const db = createDb(config.DATABASE_URL);
  const store = createMeteringStore({
    url: config.CLICKHOUSE_URL,
    dataDir: config.DATA_DIR,
    database: config.CLICKHOUSE_DATABASE,
    cluster: config.CLICKHOUSE_CLUSTER ? { name: config.CLICKHOUSE_CLUSTER, insertQuorum: config.CLICKHOUSE_INSERT_QUORUM } : undefined,
  });
  if (opts.migrate !== false) {
    await migratePostgres(db);
    await migrateClickHouse(store);
  }
  const temporal = await connectTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
  const stripe = createStripe({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
  const deps: ApiDeps = {
    config,
    db,
    store,
    logger,
    temporal: temporal.client,
    temporalHealthy: temporal.healthy,
    ingestor: createIngestor({ db, store }),
    limits: createLimitChecker({ db, store }),
  };
  const closers: (() => Promise<unknown>)[] = [() => deps.limits.close()];
  // Each stops its part from taking work and resolves true once what was in flight has finished.
  const stoppers: ((graceMs: number) => Promise<boolean>)[] = [];

  let worker: Worker | undefined;
  if (opts.worker !== false) {
    installWorkerRuntime(logger, config.WORKER_METRICS_PORT ? `${config.HOST}:${config.WORKER_METRICS_PORT}` : undefined);
    const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    worker = await Worker.create({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowBundle: await loadWorkflowBundle(),
      // Activities in flight at shutdown run to completion, within the grace time; an activity
      // still running after it is cancelled, and the worker gives up a few seconds later (its
      // attempt then times out on the server and is retried elsewhere).
      shutdownGraceTime: config.SHUTDOWN_GRACE_MS,
      shutdownForceTime: config.SHUTDOWN_GRACE_MS + 5_000,
      activities: createActivities({
        db,
        store,
        stripe,
        temporal: temporal.client,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        platformFeeBps: config.PLATFORM_FEE_BPS,
      }),
    });
    const running = worker.run();
    let stopped: Promise<boolean> | undefined;
    stoppers.push(() => {
      stopped ??= (async () => {
        if (worker!.getState() === 'RUNNING') worker!.shutdown();
        return running.then(
          () => true,
          (err: unknown) => {
            logger.warn({ err }, 'worker shutdown failed');
            return false;
          },
        );
      })();
      return stopped;
    });
    closers.push(() => connection.close());
  }

  let apiUrl: string | undefined;
  if (opts.api !== false) {
    const app = createApp(deps);
    // Slow clients are cut (408, then closed) once their headers or their whole request take
    // longer than configured, so a few hundred trickling sockets cannot hold the server; Node
    // checks every connectionsCheckingInterval, which bounds how late the cut can be.
    const server = createServer({
      headersTimeout: Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS),
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, config.HEADERS_TIMEOUT_MS),
      keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    });
    const drain = drainable(server);
    server.on('request', drain.wrap(app.callback()));
    await new Promise<void>((resolve) => {
      server.listen(config.PORT, config.HOST, resolve);
    });
    const address = server.address();
    apiUrl = `http://${config.HOST}:${typeof address === 'object' && address ? address.port : config.PORT}`;
    stoppers.push((graceMs) => drain.drain(graceMs));
  }

  const stopTakingWork = async (graceMs: number) => (await Promise.all(stoppers.map((stop) => stop(graceMs)))).every(Boolean);

  return {
    deps,
    apiUrl,
    worker,
    drain: () => stopTakingWork(config.SHUTDOWN_GRACE_MS),
    async close() {
      await stopTakingWork(0);
      for (const close of closers.reverse()) await close().catch((err) => logger.warn({ err }, 'close failed'));
      await temporal.close().catch(() => undefined);
      await db.end().catch(() => undefined);
      await store.close().catch(() => undefined);
    },
  };
}
