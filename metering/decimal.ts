/**
 * Usage values are Decimal(38, 9) in ClickHouse. In JS we keep them as BigInt nanounits when
 * adding or integrating, so a recomputation in any order gives the same digits.
 */
export const SCALE = 1_000_000_000n;
export const MAX_FRACTION_DIGITS = 9;

/** Exact parse of a decimal string (or a JS number's shortest form) into nanounits. */
export function toNano(value: string | number): bigint {
  const text = typeof value === 'number' ? numberText(value) : value;
  const m = /^(\d+)(?:\.(\d{1,9})\d*)?$/.exec(text);
  if (!m) throw new RangeError(`not a non-negative decimal: ${text}`);
  return BigInt(m[1]!) * SCALE + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** The double closest to the exact decimal (adding the integer and the fraction as doubles is not: 7 + 0.56 = 7.5600000000000005). */
export const fromNano = (nano: bigint): number => Number(nanoText(nano));

/** The exact decimal text of nanounits, e.g. 300000000n -> "0.300000000". */
export const nanoText = (nano: bigint): string => (nano < 0n ? `-${nanoText(-nano)}` : `${nano / SCALE}.${(nano % SCALE).toString().padStart(9, '0')}`);

/** A number's plain decimal form (no exponent), or undefined when it needs more than 9 decimals. */
export function numberText(value: number): string {
  if (Number.isInteger(value)) return BigInt(value).toString();
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(20).replace(/0+$/, '');
}

export function fractionDigits(value: number): number {
  const text = numberText(value);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}
