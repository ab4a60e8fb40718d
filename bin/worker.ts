import { loadConfig } from '../platform/config';
import { composeStack } from './compose';
import { serveUntilSignal } from './serve-until-signal';

/** The Temporal worker alone; every service URL must be configured. */
serveUntilSignal(composeStack(loadConfig(), { api: false }), () => 'tollbooth worker ready');
