import { loadConfig } from '../platform/config';
import { composeStack } from './compose';
import { stopOnSignal } from './stop-on-signal';

/** The Temporal worker alone; every service URL must be configured. */
composeStack(loadConfig(), { api: false })
  .then((stack) => {
    process.stdout.write('tollbooth worker ready\n');
    stopOnSignal(stack, 'worker');
  })
  .catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
