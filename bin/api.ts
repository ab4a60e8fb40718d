import { loadConfig } from '../platform/config';
import { composeStack } from './compose';

/** The API alone (scale it out separately from workers); every service URL must be configured. */
composeStack(loadConfig(), { worker: false })
  .then((stack) => {
    process.stdout.write(`tollbooth api ready api=${stack.apiUrl}\n`);
    const stop = () => void stack.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })
  .catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
