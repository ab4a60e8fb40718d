import { SCALE, nanoText, toNano } from './decimal';

/** The terms of one overage price, as stored (decimal strings). */
export interface OverageTerms {
  included: string;
  unitAmountCents: string;
  blockSize: string;
}

/** Nanounits as the shortest exact decimal text ("12.5", "0"). */
export const centsText = (nano: bigint): string => nanoText(nano).replace(/\.?0+$/, '') || '0';

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/**
 * Units billed beyond the included amount, in whole units: Stripe meter events carry whole
 * numbers, so a fractional remainder waits until it completes a unit.
 */
export function overageUnits(used: number | string, terms: Pick<OverageTerms, 'included'>): bigint {
  const beyond = toNano(used) - toNano(terms.included);
  return beyond > 0n ? beyond / SCALE : 0n;
}

/** What the overage costs: Stripe bills ceil(units / blockSize) blocks at the unit amount. */
export function overageCost(units: bigint, terms: OverageTerms): { blocks: bigint; cents: string; roundedCents: number } {
  const blocks = units > 0n ? ceilDiv(units, BigInt(terms.blockSize.split('.')[0]!)) : 0n;
  const nano = blocks * toNano(terms.unitAmountCents);
  // An invoice line is whole cents; half a cent rounds up, as Stripe rounds line amounts.
  const rounded = (nano + SCALE / 2n) / SCALE;
  return { blocks, cents: centsText(nano), roundedCents: Number(rounded) };
}

/**
 * How many units beyond the included amount a spend of at most `budgetCents` buys: whole
 * blocks only, so their cost never exceeds the budget. Null when the price is zero (no cap bites).
 */
export function unitsBudgetBuys(budgetCents: string, terms: OverageTerms): bigint | null {
  const price = toNano(terms.unitAmountCents);
  if (price === 0n) return null;
  const budget = toNano(budgetCents);
  return budget <= 0n ? 0n : (budget / price) * BigInt(terms.blockSize.split('.')[0]!);
}

export interface OverageLine {
  meter: string;
  included: string;
  used: number;
  quantity: string;
  blocks: string;
  blockSize: string;
  unitAmountCents: string;
  amountCents: number;
}

/** The overage of each priced meter for a period's usage, as invoice lines (whole cents each). */
export function overageLines(prices: Record<string, OverageTerms>, used: Record<string, number>): OverageLine[] {
  return Object.entries(prices).map(([meter, terms]) => {
    const units = overageUnits(used[meter] ?? 0, terms);
    const cost = overageCost(units, terms);
    return {
      meter,
      included: terms.included,
      used: used[meter] ?? 0,
      quantity: units.toString(),
      blocks: cost.blocks.toString(),
      blockSize: terms.blockSize,
      unitAmountCents: terms.unitAmountCents,
      amountCents: cost.roundedCents,
    };
  });
}
