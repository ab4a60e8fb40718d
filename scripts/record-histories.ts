// Re-records the workflow histories that test/workflows/replay-histories.test.ts replays
// (test/fixtures/workflow-histories/<workflow type>.json), by running the scenarios of
// test/workflows/record-histories.scenarios.ts against the real test services.
//   npx tsx scripts/record-histories.ts
// Only deliberately: after a change that is meant to alter what a workflow records, once every
// run recorded the old way has finished (or is patched with `patched()`). Commit the new files.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..');
const result = spawnSync('npx', ['jest', '--runInBand', '--testMatch', '**/test/workflows/record-histories.scenarios.ts'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
