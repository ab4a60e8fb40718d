import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

/** One input record: the event to send, or why it could not even be read. */
export type InputRecord = { event: Record<string, unknown> } | { error: string };

export type InputFormat = 'ndjson' | 'csv';

export const formatOf = (file: string, given?: string): InputFormat => {
  const format = given ?? (/\.csv$/i.test(file) ? 'csv' : 'ndjson');
  if (format !== 'csv' && format !== 'ndjson') throw new Error(`--format must be csv or ndjson, not ${format}`);
  return format;
};

/**
 * The file's events in order, one record per NDJSON line (blank lines skipped) or CSV row (a
 * header row names the fields: id, accountId, appId, meter, value, timestamp). Values are sent as
 * read: the API validates them, exactly as for any other producer.
 */
export async function* readEvents(file: string, format: InputFormat): AsyncGenerator<InputRecord> {
  if (format === 'ndjson') {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        yield { event: JSON.parse(line) };
      } catch (err) {
        yield { error: `not JSON: ${(err as Error).message}` };
      }
    }
    return;
  }
  const rows = createReadStream(file).pipe(parse({ columns: true, skip_empty_lines: true, trim: true }));
  for await (const row of rows as AsyncIterable<Record<string, string>>) {
    const event: Record<string, unknown> = { ...row };
    if (row.value !== undefined && row.value !== '') event.value = Number(row.value);
    if (row.appId === '') delete event.appId;
    yield { event };
  }
}

/** Records in the file, for the progress bar's total (a CSV header is not a record). */
export async function countRecords(file: string, format: InputFormat): Promise<number> {
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.trim()) lines++;
  return format === 'csv' ? Math.max(0, lines - 1) : lines;
}
