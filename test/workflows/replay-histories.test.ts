import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { loadWorkflowBundle } from '../../bin/workflow-bundle';
import * as workflows from '../../workflows';

// Histories recorded by earlier code (scripts/record-histories.ts): replaying them against
// today's workflows fails on a change that would break runs already in flight. historyFromJSON
// needs @temporalio/common and @temporalio/proto to share one protobufjs: the devDependency
// protobufjs@8 in package.json hoists it (grpc keeps its own 7.x).
const DIR = path.join(__dirname, '..', 'fixtures', 'workflow-histories');
const recorded = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
/** `<workflow type>.json`, or `<workflow type>.<what the run shows>.json` for a further run. */
const typeOf = (file: string) => file.split('.')[0];

it('has a recorded history of every workflow type', () => {
  expect([...new Set(recorded.map(typeOf))]).toEqual(Object.keys(workflows).sort());
});

it('replays every recorded history without non-determinism', async () => {
  const histories = recorded.map((file) => ({
    workflowId: path.basename(file, '.json'),
    history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'))),
  }));
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await loadWorkflowBundle() }, histories)) results.push(r);
  expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error}`)).toEqual([]);
  expect(results).toHaveLength(recorded.length);
});
