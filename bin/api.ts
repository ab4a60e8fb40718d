import { loadConfig } from '../platform/config';
import { composeStack } from './compose';
import { stopOnSignal } from './stop-on-signal';

/** The API alone (scale it out separately from workers); every service URL must be configured. */
composeStack(loadConfig(), { worker: false })
  .then((stack) => {
    process.stdout.write(`tollbooth api ready api=${stack.apiUrl}\n`);
    stopOnSignal(stack, 'api');
  })
  .catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
