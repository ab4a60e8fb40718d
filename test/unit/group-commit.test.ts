import { createGroupWriter } from '../../metering/group-commit';
import { pairKey } from '../../metering/dedupe';
import type { EventRow } from '../../metering/events';

const row = (id: string, account = 'a'): EventRow => ({ account_id: account, event_id: id, app_id: '', meter: 'ai_tokens', value: '1', timestamp: 0, received_at: 0 });

/** The grouping logic alone: commit is a stand-in that records what it was asked to write. */
describe('group commit', () => {
  it('writes concurrent batches as one group, the first batch owning a repeated id', async () => {
    const commits: string[][] = [];
    let release!: () => void;
    const firstDone = new Promise<void>((r) => { release = r; });
    const writer = createGroupWriter(async (rows) => {
      commits.push(rows.map((r) => r.event_id));
      if (commits.length === 1) await firstDone;
      return new Set(rows.map((r) => pairKey(r.account_id, r.event_id)));
    });
    const first = writer.write([row('x')]);
    const second = writer.write([row('1'), row('2')]);
    const third = writer.write([row('2'), row('3')]);
    release();
    expect(await Promise.all([first, second, third])).toEqual([
      { accepted: 1, duplicates: 0 }, { accepted: 2, duplicates: 0 }, { accepted: 1, duplicates: 1 },
    ]);
    expect(commits).toEqual([['x'], ['1', '2', '3']]);
  });

  it('counts ids the store already had as duplicates', async () => {
    const writer = createGroupWriter(async (rows) => new Set(rows.filter((r) => r.event_id !== 'old').map((r) => pairKey(r.account_id, r.event_id))));
    expect(await writer.write([row('old'), row('new')])).toEqual({ accepted: 1, duplicates: 1 });
  });

  it('fails every batch of a failed group, and the next group still runs', async () => {
    let fail = true;
    const writer = createGroupWriter(async (rows) => {
      if (fail) { fail = false; throw new Error('ClickHouse down'); }
      return new Set(rows.map((r) => pairKey(r.account_id, r.event_id)));
    });
    await expect(writer.write([row('1')])).rejects.toThrow('ClickHouse down');
    expect(await writer.write([row('1')])).toEqual({ accepted: 1, duplicates: 0 });
  });
});
