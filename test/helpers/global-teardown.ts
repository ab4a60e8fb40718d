// jest globalTeardown: stop what globalSetup started and remove its files.
import fs from 'node:fs';
import { RUNNING_KEY, type RunningServices } from './global-setup';
import { SERVICES_ENV } from './services';

export default async function globalTeardown(): Promise<void> {
  const running = (globalThis as Record<symbol, unknown>)[RUNNING_KEY] as RunningServices | undefined;
  if (!running) return;
  delete (globalThis as Record<symbol, unknown>)[RUNNING_KEY];
  const results = await Promise.allSettled(running.stops.map((stop) => stop()));
  fs.rmSync(running.file, { force: true });
  delete process.env[SERVICES_ENV];
  // Logs and data are only interesting when something went wrong; TOLLBOOTH_KEEP_LOGS=1 keeps them.
  if (!process.env['TOLLBOOTH_KEEP_LOGS']) fs.rmSync(running.workDir, { recursive: true, force: true });
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) throw new Error(`stopping test services failed: ${failed.map((f) => String(f.reason)).join('; ')}`);
}
