import { loadConfig } from '../platform/config';
import { composeStack } from './compose';

/** The Temporal worker alone; every service URL must be configured. */
composeStack(loadConfig(), { api: false })
  .then((stack) => {
    process.stdout.write('tollbooth worker ready\n');
    const stop = () => void stack.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })
  .catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
