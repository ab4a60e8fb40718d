import { loadConfig } from '../platform/config';
import { composeStack } from './compose';
import { ensureSchedules } from './schedules';
import { serveUntilSignal } from './serve-until-signal';

/**
 * The Temporal worker alone; every service URL must be configured. It also creates (or updates)
 * the service's Schedules, so a deployment reconciles Stripe and checks usage alerts without a
 * separate step; several workers starting at once is safe.
 */
const config = loadConfig();
serveUntilSignal(
  composeStack(config, { api: false }).then(async (stack) => {
    await ensureSchedules(stack.deps.temporal, config);
    return stack;
  }),
  () => 'tollbooth worker ready',
);
