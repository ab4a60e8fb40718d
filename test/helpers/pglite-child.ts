import { startPgliteServer } from '../../embedded/pglite-server';

/**
 * Runs the embedded Postgres server in its own process for tests: PGlite loads its WASM through
 * dynamic import, which Jest's module sandbox does not allow. Prints `url=<postgres url>` when
 * listening; stops on SIGTERM.
 */
async function main() {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: pglite-child.ts <data dir>');
  const server = await startPgliteServer({ dataDir });
  process.stdout.write(`url=${server.url}\n`);
  process.once('SIGTERM', () => {
    void server.stop().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
