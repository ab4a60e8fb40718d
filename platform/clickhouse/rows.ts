import { z } from 'zod';

/** One JSONEachRow row as the server printed it. */
export type RawRow = Record<string, unknown>;

/**
 * How a query's rows become typed values, at the edge of the store: a zod schema, checked row by
 * row, for small results; or a plain mapper for the large ones (usage history, metered usage,
 * de-duplication lookups), where a zod parse per row would cost more CPU than the query itself.
 * Both settle the types here, so no `number | string` leaks into the code above.
 */
export type RowReader<T> = z.ZodType<T> | ((row: RawRow) => T);

export const readRows = <T>(rows: readonly RawRow[], reader: RowReader<T>): T[] =>
  typeof reader === 'function' ? rows.map(reader) : rows.map((r) => reader.parse(r));

/**
 * Column values whose JSON depends on the server: Debian's 18.16 quotes 64-bit integers, chDB
 * 26.7 prints some of them (`count()`) as plain numbers, and an expression's type can differ
 * between the two versions. Integers come out as numbers, exact text as strings.
 */
export const chInt = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
/** `toString(...)` of a Decimal or a 64-bit sum: exact text, for toNano() or BigInt(). */
export const chText = z.string();

/** chInt for the light mappers. */
export function intOf(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new TypeError(`expected an integer column, got ${JSON.stringify(value)}`);
  return n;
}

/** chText for the light mappers. */
export function textOf(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`expected a text column, got ${JSON.stringify(value)}`);
  return value;
}
