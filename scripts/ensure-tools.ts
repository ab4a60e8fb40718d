// Get (or find) the pinned dev tools before jest starts, so a cold download or build
// is visible as its own step instead of a silent globalSetup timeout.
import { ensureStripeMock } from '../testing/stripe-mock';
import { ensureTemporalCli } from '../embedded/temporal-cli';
import { ensureTemporalTestServer } from '../testing/temporal-test-server';
import { ensureComposeCheck } from '../testing/compose-check';

async function main(): Promise<void> {
  // Sequential on purpose: two concurrent cold `go install`s thrash a 2-core box.
  const temporal = await ensureTemporalCli();
  const stripeMock = await ensureStripeMock();
  // The time-skipping server of the workflow timer tests (Java, from Maven).
  const testServer = await ensureTemporalTestServer();
  // The Compose file validator of test/compose-files.test.ts (Go, compose-go).
  const composeCheck = await ensureComposeCheck();
  process.stderr.write(`temporal: ${temporal}\nstripe-mock: ${stripeMock}\ntemporal test server: ${testServer}\ncompose-check: ${composeCheck}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`ensure-tools failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
