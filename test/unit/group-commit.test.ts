import { createGroupWriter, type Committed } from '../../metering/group-commit';
import { pairKey, type StoredEvent } from '../../metering/dedupe';
import type { EventRow } from '../../metering/events';

const row = (id: string, over: Partial<EventRow> = {}): EventRow => ({
  account_id: 'a',
  event_id: id,
  app_id: '',
  meter: 'ai_tokens',
  value: '1',
  timestamp: 0,
  received_at: 0,
  ...over,
});
const insertedAll = (rows: EventRow[]): Committed => ({ inserted: new Set(rows.map((r) => pairKey(r.account_id, r.event_id))), stored: new Map() });
const A = { kind: 'accepted' };
const D = { kind: 'duplicate' };

/** The grouping logic alone: commit is a stand-in that records what it was asked to write. */
describe('group commit', () => {
  it('writes concurrent batches as one group, the first batch owning a repeated id', async () => {
    const commits: string[][] = [];
    let release!: () => void;
    const firstDone = new Promise<void>((r) => {
      release = r;
    });
    const writer = createGroupWriter(async (rows) => {
      commits.push(rows.map((r) => r.event_id));
      if (commits.length === 1) await firstDone;
      return insertedAll(rows);
    });
    const first = writer.write([row('x')]);
    const second = writer.write([row('1'), row('2')]);
    const third = writer.write([row('2'), row('3')]);
    release();
    expect(await Promise.all([first, second, third])).toEqual([[A], [A, A], [D, A]]);
    expect(commits).toEqual([['x'], ['1', '2', '3']]);
  });

  it('counts ids the store already had with the same payload as duplicates, with another payload as conflicts', async () => {
    const stored: StoredEvent = { account_id: 'a', event_id: 'old', app_id: '', meter: 'ai_tokens', ts: 0, value: '1.000000000' };
    const writer = createGroupWriter(async (rows) => ({
      inserted: new Set(rows.filter((r) => r.event_id !== 'old').map((r) => pairKey(r.account_id, r.event_id))),
      stored: new Map([[pairKey('a', 'old'), stored]]),
    }));
    expect(await writer.write([row('old'), row('new')])).toEqual([D, A]);
    const [conflict] = await writer.write([row('old', { value: '2', meter: 'bandwidth_bytes', timestamp: 60, app_id: 'app_1' })]);
    expect(conflict).toEqual({
      kind: 'conflict',
      message:
        'id already received with another payload: meter (first ai_tokens, now bandwidth_bytes); value (first 1, now 2); ' +
        'timestamp (first 1970-01-01T00:00:00Z, now 1970-01-01T00:01:00Z); appId (first none, now app_1)',
    });
  });

  it('compares repeated ids inside a group with the first copy', async () => {
    const writer = createGroupWriter(async (rows) => insertedAll(rows));
    const outcomes = await writer.write([row('1'), row('1'), row('1', { value: '1.5' }), row('1', { value: '1.000' })]);
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'duplicate', 'conflict', 'duplicate']);
  });

  it('fails every batch of a failed group, and the next group still runs', async () => {
    let fail = true;
    const writer = createGroupWriter(async (rows) => {
      if (fail) {
        fail = false;
        throw new Error('ClickHouse down');
      }
      return insertedAll(rows);
    });
    await expect(writer.write([row('1')])).rejects.toThrow('ClickHouse down');
    expect(await writer.write([row('1')])).toEqual([A]);
  });
});
