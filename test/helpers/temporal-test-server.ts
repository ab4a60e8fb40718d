// Temporal's time-skipping test server, for workflow tests whose timers run for days. The SDK
// would download a native build from GitHub; the same server is published on Maven Central as
// a Java jar (io.temporal:temporal-test-server), so Maven fetches it once into the tool cache
// and a small wrapper script starts it the way the SDK starts its own (`<executable> <port>`).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { binDir, withCacheLock } from '../../platform/services/cache';
import { findOnPath, isExecutable, once, toolLog } from '../../platform/services/go-tools';

/** The Java SDK release whose test server matches the pinned Temporal Server (1.32). */
export const TEMPORAL_TEST_SERVER_VERSION = '1.32.0';

const run = promisify(execFile);

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>tollbooth.tools</groupId><artifactId>temporal-test-server</artifactId><version>1</version>
<dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>
<version>${TEMPORAL_TEST_SERVER_VERSION}</version></dependency></dependencies></project>
`;

/** The path of an executable that starts the test server on the port given as first argument. */
export const ensureTemporalTestServer = (): Promise<string> => once('temporal-test-server', async () => {
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
      const script = path.join(tmp, 'wrapper');
      fs.writeFileSync(script, `#!/bin/sh\nexec '${java}' -Xmx512m -cp '${libDir}/*' io.temporal.testserver.TestServer "$@"\n`, { mode: 0o755 });
      fs.renameSync(script, wrapper); // atomic: a killed download never leaves a wrapper without its jars
      toolLog(`Temporal test server -> ${wrapper} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return wrapper;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
