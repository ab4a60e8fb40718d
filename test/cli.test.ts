import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseCsv } from 'csv-parse/sync';
import { startTestStack, type TestStack } from './helpers/stack';
import { createAccount, usageEvent } from './helpers/factories';
import { daily, isoDate } from './helpers/metering';

const ROOT = join(__dirname, '..');
const LAUNCHER = join(ROOT, 'bin', 'tollbooth.js'); // what `npx tollbooth` runs

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let stack: TestStack;
let dir: string;
beforeAll(async () => {
  stack = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), 'tollbooth-cli-'));
});
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI as an operator would; `interruptWhen` sends it `signal` (a Ctrl-C by default) once true. */
async function cli(args: string[], interruptWhen?: () => boolean, signal: NodeJS.Signals = 'SIGINT'): Promise<Run> {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: ROOT,
    env: { ...process.env, TOLLBOOTH_URL: stack.url, ADMIN_TOKEN: stack.adminToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (interruptWhen) {
    while (child.exitCode === null && !interruptWhen()) await sleep(10);
    child.kill(signal);
  }
  return { code: await exited, stdout, stderr };
}

const summary = (run: Run) => Object.fromEntries([...run.stdout.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
const recentIso = (i: number) => new Date(Date.now() - 60_000 - i * 1000).toISOString();

/** An account and an NDJSON file of 150 of its events worth 2 ai_tokens each; returns the file and its checkpoint. */
async function importable(name: string, prefix: string) {
  const account = await createAccount(stack, name);
  const file = join(dir, `${prefix}.ndjson`);
  const events = Array.from({ length: 150 }, (_, i) => usageEvent(account.accountId, `${prefix}-${i}`, { value: 2, timestamp: recentIso(i) }));
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
  return { ...account, file, checkpoint: `${file}.import-checkpoint.json` };
}

/** The account's ai_tokens from yesterday to tomorrow, as its dashboard reports them. */
const tokensAround = async (apiKey: string) =>
  Object.values(await daily(stack, apiKey, 'ai_tokens', isoDate(Date.now() - 86_400_000), isoDate(Date.now() + 86_400_000))).reduce(
    (a: number, v) => a + Number(v),
    0,
  );

it('usage import sends each event once: a re-import accepts 0, a Ctrl-C run resumes where it stopped', async () => {
  const { apiKey, file, checkpoint } = await importable('Imported', 'imp');

  // Batches of one make the run long enough to interrupt after its first checkpoint.
  const first = await cli(['usage', 'import', file, '--batch-size', '1'], () => existsSync(checkpoint));
  expect(first.code).toBe(130);
  expect(first.stdout).toContain('interrupted');
  const stoppedAt = summary(first).accepted!;
  expect(stoppedAt).toBeGreaterThan(0);
  expect(stoppedAt).toBeLessThan(150);

  const resumed = await cli(['usage', 'import', file, '--batch-size', '50']);
  expect(resumed.code).toBe(0);
  expect(summary(resumed)).toMatchObject({ records: 150, accepted: 150, duplicates: 0, rejected: 0, resumed_from: stoppedAt });
  expect(existsSync(checkpoint)).toBe(false);

  const again = await cli(['usage', 'import', file]);
  expect(summary(again)).toMatchObject({ records: 150, accepted: 0, duplicates: 150, rejected: 0, resumed_from: 0 });
  const today = isoDate(Date.now() - 60_000);
  const totals = await daily(stack, apiKey, 'ai_tokens', isoDate(Date.now() - 86_400_000), isoDate(Date.now() + 86_400_000));
  expect(Object.values(totals).reduce((a: number, v) => a + Number(v), 0)).toBe(300);
  expect(totals[today]).toBeGreaterThan(0);
});

it('usage import resumes after a crash (SIGKILL mid-import) without counting anything twice', async () => {
  const { apiKey, file, checkpoint } = await importable('Crashed', 'crash');
  const saved = () => (existsSync(checkpoint) ? (JSON.parse(readFileSync(checkpoint, 'utf8')) as { records: number; accepted: number }) : undefined);

  // Killed with no chance to save anything more: a batch may be in flight, sent but not checkpointed.
  const crashed = await cli(['usage', 'import', file, '--batch-size', '1'], () => (saved()?.records ?? 0) >= 3, 'SIGKILL');
  expect(crashed.code).toBeNull();
  const at = saved()!;
  expect(at.records).toBeGreaterThanOrEqual(3);
  expect(at.records).toBeLessThan(150);

  const resumed = await cli(['usage', 'import', file, '--batch-size', '50']);
  expect(resumed.code).toBe(0);
  const done = summary(resumed);
  expect(done).toMatchObject({ records: 150, rejected: 0, resumed_from: at.records });
  // The batch in flight at the kill, if the API had it, comes back as a duplicate: never twice.
  expect(done.accepted! + done.duplicates!).toBe(150);
  expect(done.duplicates).toBeLessThanOrEqual(1);
  expect(existsSync(checkpoint)).toBe(false);
  expect(await tokensAround(apiKey)).toBe(150 * 2);
});

it('usage import reads CSV and reports rejected records by their number', async () => {
  const { accountId } = await createAccount(stack, 'Csv');
  const file = join(dir, 'events.csv');
  writeFileSync(
    file,
    [
      'id,accountId,appId,meter,value,timestamp',
      `c1,${accountId},,ai_tokens,5,${recentIso(1)}`,
      `c2,${accountId},,lambda_invocations,1,${recentIso(2)}`,
      `c3,${accountId},,ai_tokens,-1,${recentIso(3)}`,
    ].join('\n'),
  );
  const run = await cli(['usage', 'import', file]);
  expect(run.code).toBe(2); // some records were rejected
  expect(summary(run)).toMatchObject({ records: 3, accepted: 2, duplicates: 0, rejected: 1 });
  expect(run.stderr).toMatch(/rejected record 3: /);
});

it('usage import lists the first 20 rejected records by number, then how many more', async () => {
  const { accountId } = await createAccount(stack, 'Many rejected');
  const file = join(dir, 'rejected.ndjson');
  const events = Array.from({ length: 26 }, (_, i) => usageEvent(accountId, `rej-${i}`, { value: i === 0 ? 1 : -1, timestamp: recentIso(i) }));
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
  const run = await cli(['usage', 'import', file]);
  expect(run.code).toBe(2);
  expect(summary(run)).toMatchObject({ records: 26, accepted: 1, rejected: 25 });
  const listed = [...run.stderr.matchAll(/^rejected record (\d+): /gm)].map((m) => Number(m[1]));
  expect(listed).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  expect(run.stderr).toContain('... and 5 more rejected');
});

it('usage export writes the dashboard numbers as CSV or NDJSON; accounts list lists the accounts', async () => {
  const { accountId, apiKey } = await createAccount(stack, 'Exported');
  const file = join(dir, 'export.ndjson');
  writeFileSync(
    file,
    [
      usageEvent(accountId, 'x1', { value: 7, timestamp: recentIso(1) }),
      usageEvent(accountId, 'x2', { value: 3, meter: 'bandwidth_bytes', timestamp: recentIso(2) }),
    ]
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
  expect((await cli(['usage', 'import', file])).code).toBe(0);
  const from = isoDate(Date.now() - 86_400_000);
  const to = isoDate(Date.now() + 86_400_000);
  const expected = await daily(stack, apiKey, 'ai_tokens', from, to);

  const csv = await cli(['usage', 'export', '--account', accountId, '--from', from, '--to', to, '--tz', 'UTC', '--format', 'csv']);
  expect(csv.code).toBe(0);
  const lines = csv.stdout.trim().split('\n');
  expect(lines[0]).toBe('date,meter,value,average');
  const aiTokens = lines
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => c[1] === 'ai_tokens' && Number(c[2]) > 0);
  expect(Object.fromEntries(aiTokens.map((c) => [c[0], Number(c[2])]))).toEqual(Object.fromEntries(Object.entries(expected).filter(([, v]) => Number(v) > 0)));

  const ndjson = await cli(['usage', 'export', '--account', accountId, '--from', from, '--to', to, '--meter', 'bandwidth_bytes', '--format', 'ndjson']);
  const rows = ndjson.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(rows.every((r) => r.meter === 'bandwidth_bytes')).toBe(true);
  expect(rows.reduce((a, r) => a + r.value, 0)).toBe(3);

  const list = await cli(['accounts', 'list', '--format', 'ndjson']);
  expect(list.code).toBe(0);
  expect(
    list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id),
  ).toEqual(expect.arrayContaining([accountId]));
  // The same accounts in every format: CSV and the aligned table people read show these columns.
  const COLUMNS = ['id', 'name', 'email', 'planId', 'provisioningState', 'createdAt'];
  const byNdjson = list.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((a) => Object.fromEntries(COLUMNS.map((c) => [c, a[c] === null ? '' : String(a[c])])));
  const csvList = await cli(['accounts', 'list', '--format', 'csv']);
  expect(csvList.code).toBe(0);
  expect(parseCsv(csvList.stdout, { columns: true })).toEqual(byNdjson);
  const table = await cli(['accounts', 'list']);
  expect(table.code).toBe(0);
  const [header, ...tableLines] = table.stdout.trimEnd().split('\n');
  const columns = header!.split(/\s+/);
  expect(columns).toEqual(COLUMNS);
  const starts = columns.map((c) => header!.indexOf(c));
  const cell = (line: string, i: number) => line.slice(starts[i], starts[i + 1]).trim();
  expect(tableLines.map((l) => Object.fromEntries(columns.map((c, i) => [c, cell(l, i)])))).toEqual(byNdjson);
  expect(tableLines.find((l) => l.startsWith(accountId))).toContain('Exported');

  const missing = await cli(['usage', 'export', '--account', accountId]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('missing --from, --to');
});
