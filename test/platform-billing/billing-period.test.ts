import { startTestStack, type TestStack } from '../helpers/stack';
import { createAccount } from '../helpers/factories';
import { renewAccountPeriod } from '../../db/account-periods';

/**
 * The account's period against Stripe's cycle, on fixed calendar dates (never today's): the
 * provisional first period is a calendar month, Stripe's first cycle starts at the payment.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ api: true });
});
afterAll(() => stack?.close());

const periodOf = async (accountId: string) => {
  const { rows } = await stack.deps.db.query<{ period_start: Date; period_end: Date }>('SELECT period_start, period_end FROM accounts WHERE id = $1', [
    accountId,
  ]);
  return { start: rows[0]!.period_start.toISOString(), end: rows[0]!.period_end.toISOString() };
};

async function accountWithPeriod(start: string, end: string): Promise<string> {
  const { accountId } = await createAccount(stack, 'Period');
  await stack.deps.db.query('UPDATE accounts SET period_start = $2, period_end = $3 WHERE id = $1', [accountId, start, end]);
  return accountId;
}

const renew = (accountId: string, periodStart: string, periodEnd: string) => renewAccountPeriod(stack.deps.db, { accountId, periodStart, periodEnd });

describe('billing period follows Stripe', () => {
  it.each([
    ['a 31-day month, 30-day cycle', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z', '2026-12-02T10:07:00Z', '2027-01-01T10:07:00Z'],
    ['a 31-day month, cycle ending first', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z', '2026-12-02T10:07:00Z', '2026-12-31T10:07:00Z'],
    ['February, a 28-day month', '2027-02-01T00:00:00Z', '2027-03-01T00:00:00Z', '2027-02-03T00:00:00Z', '2027-03-03T00:00:00Z'],
  ])('the first paid invoice replaces the provisional period (%s)', async (_name, provStart, provEnd, invStart, invEnd) => {
    const accountId = await accountWithPeriod(provStart, provEnd);
    expect(await renew(accountId, invStart, invEnd)).toBe(true);
    const quarter = (iso: string) => new Date(Math.floor(Date.parse(iso) / 900_000) * 900_000).toISOString();
    expect(await periodOf(accountId)).toEqual({ start: quarter(invStart), end: quarter(invEnd) });
  });

  it('a replayed or older invoice changes nothing', async () => {
    const accountId = await accountWithPeriod('2026-12-02T10:00:00Z', '2027-01-02T10:00:00Z');
    expect(await renew(accountId, '2026-12-02T10:00:00Z', '2027-01-02T10:00:00Z')).toBe(false);
    expect(await renew(accountId, '2026-11-02T10:00:00Z', '2026-12-02T10:00:00Z')).toBe(false);
    expect(await renew(accountId, '2026-12-01T00:00:00Z', '2027-03-01T00:00:00Z')).toBe(false);
    expect(await periodOf(accountId)).toEqual({ start: '2026-12-02T10:00:00.000Z', end: '2027-01-02T10:00:00.000Z' });
  });

  it('the next cycle moves the period forward, and the same start with a later end extends it', async () => {
    const accountId = await accountWithPeriod('2026-12-02T10:00:00Z', '2027-01-02T10:00:00Z');
    expect(await renew(accountId, '2027-01-02T10:00:00Z', '2027-02-02T10:00:00Z')).toBe(true);
    expect(await renew(accountId, '2027-01-02T10:00:00Z', '2027-02-09T10:00:00Z')).toBe(true);
    expect(await periodOf(accountId)).toEqual({ start: '2027-01-02T10:00:00.000Z', end: '2027-02-09T10:00:00.000Z' });
  });
});
