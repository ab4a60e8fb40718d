// Temporal's time-skipping test server, for workflow tests whose timers run for days. The SDK
// would download a native build from GitHub; the same server is published on Maven Central as
// a Java jar (io.temporal:temporal-test-server), so Maven fetches it once into the tool cache
// and a small wrapper script starts it (`<executable> <port>`). We start it ourselves rather
// than through TestWorkflowEnvironment.createTimeSkipping, which gives a server 5 s to listen:
// too short for a JVM on a loaded 2-core machine.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection';
import { msToTs } from '@temporalio/common/lib/time';
import { binDir, withCacheLock } from '../embedded/cache';
import { spawnService } from '../embedded/child';
import { findOnPath, isExecutable, once, toolLog } from '../embedded/go-tools';
import { freePort, waitFor } from '../embedded/ports';
import { isListening } from './tcp';

/** The Java SDK release whose test server matches the pinned Temporal Server (1.32). */
export const TEMPORAL_TEST_SERVER_VERSION = '1.32.0';

const run = promisify(execFile);

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>tollbooth.tools</groupId><artifactId>temporal-test-server</artifactId><version>1</version>
<dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>
<version>${TEMPORAL_TEST_SERVER_VERSION}</version></dependency></dependencies></project>
`;

/** The path of an executable that starts the test server on the port given as first argument. */
export const ensureTemporalTestServer = (): Promise<string> =>
  once('temporal-test-server', async () => {
    const wrapper = path.join(binDir(), `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`);
    if (isExecutable(wrapper)) return wrapper;
    return withCacheLock('download-temporal-test-server', async () => {
      if (isExecutable(wrapper)) return wrapper; // another process got it while we waited
      const java = findOnPath('java');
      const mvn = findOnPath('mvn');
      if (!java || !mvn) throw new Error('the Temporal test server needs java and mvn (Debian: default-jdk-headless maven)');
      fs.mkdirSync(binDir(), { recursive: true });
      const tmp = fs.mkdtempSync(path.join(binDir(), '.download-temporal-test-server-'));
      const t0 = Date.now();
      toolLog(`downloading the Temporal test server ${TEMPORAL_TEST_SERVER_VERSION} and its jars (Maven)...`);
      try {
        fs.writeFileSync(path.join(tmp, 'pom.xml'), POM);
        await run(mvn, ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib', '-DincludeScope=runtime'], { cwd: tmp, maxBuffer: 16 << 20 });
        const libDir = `${wrapper}.lib`;
        fs.rmSync(libDir, { recursive: true, force: true });
        fs.renameSync(path.join(tmp, 'lib'), libDir);
        // C1 only and the serial collector: the server starts in half the time and leaves the CPU
        // to the tests (measured 6.7 s -> 3.0 s to listening on a loaded 2-core machine); a class
        // data archive of one start-up saves most of the rest.
        const jvm = ['-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', `${libDir}/*`];
        const archive = `${wrapper}.jsa`;
        await archiveStartup(java, [`-XX:ArchiveClassesAtExit=${archive}`, ...jvm], tmp);
        const script = path.join(tmp, 'wrapper');
        const args = [...(fs.existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : []), ...jvm].map((a) => `'${a}'`).join(' ');
        fs.writeFileSync(script, `#!/bin/sh\nexec '${java}' ${args} io.temporal.testserver.TestServer "$@"\n`, { mode: 0o755 });
        fs.renameSync(script, wrapper); // atomic: a killed download never leaves a wrapper without its jars
        toolLog(`Temporal test server -> ${wrapper} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return wrapper;
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });

/** Starts the server once and stops it when it listens: the JVM then writes its class archive. */
async function archiveStartup(java: string, args: string[], logDir: string): Promise<void> {
  const port = await freePort();
  const child = spawnService({
    name: 'temporal-test-server-archive',
    command: java,
    args: [...args, 'io.temporal.testserver.TestServer', String(port)],
    logFile: path.join(logDir, 'archive.log'),
    stopTimeoutMs: 60_000, // writing the archive takes seconds
  });
  try {
    await waitFor(() => isListening(port), { timeoutMs: 60_000, what: 'Temporal test server (class archive run)', intervalMs: 100, giveUp: child.exitReason });
  } catch (err) {
    toolLog(`no class archive for the Temporal test server (${(err as Error).message}); it starts without one`);
  } finally {
    await child.stop();
  }
}

export interface TemporalTestServer {
  address: string;
  /** Moves the server's clock forward (timers that come due fire) and returns. */
  skip(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a test server on a free port. Its clock is locked (real time) except during `skip`,
 * as in the SDK's time-skipping environment.
 */
export async function startTemporalTestServer(opts: { logDir: string }): Promise<TemporalTestServer> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child = spawnService({
    name: 'temporal-test-server',
    command: await ensureTemporalTestServer(),
    args: [String(port)],
    logFile: path.join(opts.logDir, `temporal-test-server-${port}.log`),
  });
  let connection: Connection | undefined;
  try {
    // A plain TCP probe: a gRPC connect to a port not yet open waits out its own timeout.
    await waitFor(() => isListening(port), { timeoutMs: 60_000, what: `Temporal test server on ${address}`, intervalMs: 100, giveUp: child.exitReason });
    // The SDK's own flag for a connection that may call the test server's TestService.
    const options: InternalConnectionOptions = { address, [InternalConnectionOptionsSymbol]: { supportsTestService: true } };
    connection = await Connection.connect(options);
    // The standalone server starts with skipping locked (one lock, as the SDK expects): another
    // lock here would make skip() sleep in real time.
    const testService = connection!.testService!;
    return {
      address,
      skip: async (ms) => {
        await testService.unlockTimeSkippingWithSleep({ duration: msToTs(ms) });
      },
      async stop() {
        await connection!.close().catch(() => undefined);
        await child.stop();
      },
    };
  } catch (err) {
    await connection?.close().catch(() => undefined);
    await child.stop();
    throw err;
  }
}
