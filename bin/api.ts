import { loadConfig } from '../platform/config';
import { composeStack } from './compose';
import { serveUntilSignal } from './serve-until-signal';

/** The API alone (scale it out separately from workers); every service URL must be configured. */
serveUntilSignal(composeStack(loadConfig(), { worker: false }), (stack) => `tollbooth api ready api=${stack.apiUrl}`);
