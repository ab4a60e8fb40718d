import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, type Reply } from '../helpers/http';
import { embeddedEnv, exited, npmStartFixture } from '../helpers/npm-start';
import { nanoNumber, toNanoExact } from '../metering/oracle';

/**
 * The whole service (`npm start`: API, worker, embedded PGlite, chDB and Temporal, one process
 * group) is killed with SIGKILL while usage batches are in flight, then started again on the
 * same data. Every batch that was acknowledged (200) is there, once: re-sending it finds every
 * event a duplicate, and after the unacknowledged ones are retried the totals are exact.
 */
const PER_BATCH = 50;

const fx = npmStartFixture('tollbooth-group-kill-', 240_000);
const { start } = fx;

it(
  'SIGKILL of the whole process group during ingestion loses no acknowledged event and counts none twice',
  async () => {
    const { dataDir } = fx;
    const env = await embeddedEnv(dataDir, 'error');
    const first = await start(env);
    const admin = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const account = await call(first.api, 'POST', '/admin/accounts', { token: admin, body: { name: 'Killed mid-stream' } });
    const svc = await call(first.api, 'POST', '/admin/service-keys', { token: admin, body: { name: 'ingest', scopes: ['usage:write'] } });
    const accountId: string = account.body.account.id;
    const apiKey: string = account.body.apiKey;

    const now = Date.now();
    const value = (b: number, i: number) => `${(b * 11 + i) % 97}.${(i * 7) % 1000}`;
    const batch = (b: number) =>
      Array.from({ length: PER_BATCH }, (_, i) => ({
        id: `k${b}-${i}`,
        accountId,
        meter: 'bandwidth_bytes',
        value: Number(value(b, i)),
        timestamp: new Date(now - (b * PER_BATCH + i) * 100).toISOString(),
      }));
    const send = (api: string, b: number): Promise<Reply> =>
      call(api, 'POST', '/v1/usage/events', { token: svc.body.key, body: { events: batch(b) } }).catch(
        () => ({ status: 0, body: undefined, headers: new Headers() }) as Reply,
      );

    // A steady stream, three batches in flight; the group is killed once a few are acknowledged.
    const acked = new Set<number>();
    let next = 0;
    let killed = false;
    const stream = async () => {
      while (!killed) {
        const b = next++;
        const r = await send(first.api, b);
        if (r.status === 200 && !killed) {
          // The first rejections, if any, say why in the failure message.
          expect({ b, counted: r.body.accepted + r.body.duplicates, rejected: r.body.rejected.slice(0, 2) }).toEqual({ b, counted: PER_BATCH, rejected: [] });
          acked.add(b);
        }
      }
    };
    const lanes = [stream(), stream(), stream()];
    while (acked.size < 6) await sleep(20);
    killed = true;
    process.kill(-first.child.pid!, 'SIGKILL');
    await Promise.all(lanes);
    await exited(first.child);
    // Batches answered after the kill order are treated as unacknowledged: retried below.
    const sent = next;

    const second = await start(env);
    try {
      for (const b of acked) {
        const again = await send(second.api, b);
        expect({ b, status: again.status, body: again.body }).toEqual({ b, status: 200, body: { accepted: 0, duplicates: PER_BATCH, rejected: [] } });
      }
      // The client retries what it never heard back about.
      for (let b = 0; b < sent; b++) {
        if (acked.has(b)) continue;
        let r = await send(second.api, b);
        for (let attempt = 0; r.status !== 200 && attempt < 20; attempt++) {
          await sleep(500);
          r = await send(second.api, b);
        }
        expect(r.status).toBe(200);
      }
      const from = new Date(now - 2 * 86_400_000).toISOString().slice(0, 10);
      const to = new Date(now + 86_400_000).toISOString().slice(0, 10);
      const usage = await call(second.api, 'GET', `/dashboard/usage?meterType=bandwidth_bytes&startDate=${from}&endDate=${to}`, { token: apiKey });
      expect(usage.status).toBe(200);
      const total = (usage.body.usage as { value: number }[]).reduce((sum, r) => sum + toNanoExact(String(r.value)), 0n);
      let expected = 0n;
      for (let b = 0; b < sent; b++) for (let i = 0; i < PER_BATCH; i++) expected += toNanoExact(value(b, i));
      expect(nanoNumber(total)).toBe(nanoNumber(expected));
    } finally {
      second.child.kill('SIGINT');
      await Promise.race([exited(second.child), sleep(30_000)]);
    }
  },
  10 * 60_000,
);
