import { SCALE, toNano } from './decimal';
import { blocksOf, type OverageTerms } from './overage';

/** One overage price in the units limit checks compute with: nanounits, nano-cents, whole units. */
export interface PricedTerms {
  included: bigint;
  price: bigint;
  block: bigint;
}

/**
 * A spend cap as limit checks enforce it: one budget (nano-cents) for all priced meters of the
 * account. `capped` are the meters it turns hard (priced, and soft or without a plan limit);
 * every priced meter's overage spends from it.
 */
export interface CapBudget {
  cap: bigint;
  priced: ReadonlyMap<string, PricedTerms>;
  capped: ReadonlySet<string>;
}

export const pricedTerms = (t: OverageTerms): PricedTerms => ({
  included: toNano(t.included),
  price: toNano(t.unitAmountCents),
  block: BigInt(t.blockSize.split('.')[0]!),
});

/** What `used` (nanounits) costs beyond the included amount, in nano-cents: started blocks of whole units, as Stripe bills. */
export function costOf(used: bigint, t: PricedTerms): bigint {
  const units = used > t.included ? (used - t.included) / SCALE : 0n;
  return blocksOf(units, t.block) * t.price;
}

/**
 * The hard limit (nanounits) the cap makes of `meter`: the included amount plus the whole blocks
 * that what the other priced meters leave of the budget still buys. `used` gives each meter's
 * usage as counted against the cap (metered plus held). Only for a capped meter (priced above zero).
 */
export function capLimit(budget: CapBudget, meter: string, used: (meter: string) => bigint): bigint {
  const own = budget.priced.get(meter)!; // a capped meter: priced, above zero
  let left = budget.cap;
  for (const [other, terms] of budget.priced) if (other !== meter) left -= costOf(used(other), terms);
  const blocks = left > 0n ? left / own.price : 0n;
  return own.included + blocks * own.block * SCALE;
}

/**
 * Whether the cap is reached: the overage already costs the whole cap, or a capped meter has used
 * every unit the budget buys it (a 10-cent cap at 3 cents a block stops at 9 cents: reached).
 */
export function capReached(budget: CapBudget, used: (meter: string) => bigint): boolean {
  if (spentOf(budget, used) >= budget.cap) return true;
  for (const meter of budget.capped) if (used(meter) >= capLimit(budget, meter, used)) return true;
  return false;
}

/** What the overage of every priced meter costs together, in nano-cents. */
export function spentOf(budget: CapBudget, used: (meter: string) => bigint): bigint {
  let spent = 0n;
  for (const [meter, terms] of budget.priced) spent += costOf(used(meter), terms);
  return spent;
}
