import type { Db } from '../platform/pg';
import type { Meter } from '../platform/meters';
import { newId } from '../platform/ids';
import { raiseSpendCapAlert } from '../db/spend-caps';
import { limitTerms } from '../metering/effective-limits';
import { capReached, spentOf } from '../metering/spend-cap-budget';
import { centsText } from '../metering/overage';
import { toNano } from '../metering/decimal';

/**
 * Raises the period's `spend_cap` alert (once: the usage alerts' uniqueness) when the cap is
 * reached: a capped meter has used every block the cap buys it, so it is refused more although
 * the cost may stay below the cap (10 cents at 3 cents a block stop at 9), or the overage costs
 * the whole cap (ingestion is not limited). Returns whether this call raised it.
 */
export async function raiseSpendCapAlertIfReached(
  db: Db,
  input: { accountId: string; periodStart: string; used: Partial<Record<Meter, number>> },
): Promise<boolean> {
  const { budget } = await limitTerms(db, input.accountId);
  if (!budget) return false;
  const used = (m: string) => toNano(input.used[m as Meter] ?? 0);
  if (!capReached(budget, used)) return false;
  const spent = spentOf(budget, used);
  return raiseSpendCapAlert(db, {
    id: newId('alrt'),
    accountId: input.accountId,
    periodStart: input.periodStart,
    spentCents: centsText(spent),
    capCents: centsText(budget.cap),
  });
}
