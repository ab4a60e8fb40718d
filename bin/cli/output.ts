import { stringify } from 'csv-stringify/sync';

export type OutputFormat = 'csv' | 'ndjson' | 'table';

export const outputFormat = (given: string | undefined, fallback: OutputFormat): OutputFormat => {
  const format = given ?? fallback;
  if (!['csv', 'ndjson', 'table'].includes(format)) throw new Error(`--format must be csv, ndjson or table, not ${format}`);
  return format as OutputFormat;
};

/** Rows as CSV (a header, then one line per row), NDJSON, or an aligned table for people. */
export function writeRows(out: NodeJS.WritableStream, format: OutputFormat, columns: string[], rows: object[]): void {
  const cells = (row: object) => columns.map((c) => (row as Record<string, unknown>)[c] ?? '');
  if (format === 'ndjson') {
    for (const row of rows) out.write(`${JSON.stringify(row)}\n`);
  } else if (format === 'csv') {
    out.write(stringify([columns, ...rows.map(cells)]));
  } else {
    const table = [columns, ...rows.map((r) => cells(r).map(String))];
    const widths = columns.map((_, i) => Math.max(...table.map((line) => String(line[i]).length)));
    for (const line of table)
      out.write(
        `${line
          .map((v, i) => String(v).padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
  }
}
