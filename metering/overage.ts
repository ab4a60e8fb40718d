import { SCALE, nanoText, toNano } from './decimal';

/** The terms of one overage price, as stored (decimal strings). */
export interface OverageTerms {
  included: string;
  unitAmountCents: string;
  blockSize: string;
}

/** Nanounits as the shortest exact decimal text ("12.5", "0"). */
export const centsText = (nano: bigint): string => nanoText(nano).replace(/\.?0+$/, '') || '0';

/** Blocks Stripe bills for `units` beyond the included amount: started blocks count whole. */
export const blocksOf = (units: bigint, blockSize: bigint): bigint => (units > 0n ? (units + blockSize - 1n) / blockSize : 0n);

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
  const blocks = blocksOf(units, BigInt(terms.blockSize.split('.')[0]!));
  const nano = blocks * toNano(terms.unitAmountCents);
  // An invoice line is whole cents; half a cent rounds up, as Stripe rounds line amounts.
  const rounded = (nano + SCALE / 2n) / SCALE;
  return { blocks, cents: centsText(nano), roundedCents: Number(rounded) };
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
