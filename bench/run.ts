import { withServices } from './lib';
import { benchIngest } from './ingest';
import { benchUsageQuery } from './usage-query';
import { benchCheck } from './check';
import { benchPlatformBilling } from './platform-billing';
import { benchRateLimit } from './rate-limit';
import { benchSpendCapCheck } from './spend-cap-check';

const all: Record<string, (s: Parameters<typeof benchIngest>[0]) => Promise<void>> = {
  ingest: benchIngest,
  'ingest-chdb': (s) => benchIngest(s, 'chdb'),
  'usage-query': benchUsageQuery,
  check: benchCheck,
  'platform-billing': benchPlatformBilling,
  'rate-limit': benchRateLimit,
  'spend-cap-check': benchSpendCapCheck,
};

/** `npm run bench [name ...]`: each benchmark prints one JSON line. */
async function main() {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
  await withServices(async (services) => {
    for (const name of names) {
      const bench = all[name];
      if (!bench) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(all).join(', ')}`);
      await bench(services);
    }
  });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
