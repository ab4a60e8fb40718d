import { SingleBar, Presets } from 'cli-progress';
import type { ApiClient } from './api-client';
import { withTemporaryKey } from './api-client';
import { clearCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint';
import { countRecords, formatOf, readEvents } from './read-events';

export interface ImportOptions {
  file: string;
  format?: string;
  batchSize: number;
  checkpointFile?: string;
  serviceKey?: string;
}

interface Rejection {
  record: number;
  code: string;
  message: string;
}
interface IngestReply {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: string; message: string }[];
}

/**
 * `tollbooth usage import FILE`: sends the file's events through POST /v1/usage/events, the same
 * exactly-once path as every producer, in batches. After each acknowledged batch a checkpoint
 * records how far it got; Ctrl-C stops after the batch in flight, and running the same command
 * again resumes there. A crash can lose at most the acknowledgement of one batch: that batch is
 * sent again and its events count as duplicates, never twice.
 */
export async function importUsage(api: ApiClient, opts: ImportOptions): Promise<{ checkpoint: Checkpoint; interrupted: boolean }> {
  const format = formatOf(opts.file, opts.format);
  const checkpointFile = opts.checkpointFile ?? `${opts.file}.import-checkpoint.json`;
  const checkpoint = loadCheckpoint(checkpointFile, opts.file);
  const resumedFrom = checkpoint.records;
  const total = await countRecords(opts.file, format);
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSigint);

  const bar = new SingleBar(
    {
      format: 'usage import |{bar}| {percentage}% {value}/{total} events | {speed} ev/s | accepted {accepted} · duplicates {duplicates} · rejected {rejected}',
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  const payload = () => ({
    accepted: checkpoint.accepted,
    duplicates: checkpoint.duplicates,
    rejected: checkpoint.rejected,
    speed: Math.round((checkpoint.records - resumedFrom) / Math.max(0.001, (Date.now() - started) / 1000)),
  });
  bar.start(total, checkpoint.records, payload());
  const rejections: Rejection[] = [];

  const send = async (key: string) => {
    let batch: { event: Record<string, unknown>; record: number }[] = [];
    let record = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const reply = await api.call<IngestReply>('POST', '/v1/usage/events', { token: key, body: { events: batch.map((b) => b.event) } });
      checkpoint.accepted += reply.accepted;
      checkpoint.duplicates += reply.duplicates;
      checkpoint.rejected += reply.rejected.length;
      for (const r of reply.rejected) rejections.push({ record: batch[r.index]!.record, code: r.code, message: r.message });
      checkpoint.records = batch[batch.length - 1]!.record;
      saveCheckpoint(checkpointFile, checkpoint);
      bar.update(checkpoint.records, payload());
      batch = [];
    };
    for await (const input of readEvents(opts.file, format)) {
      record++;
      if (record <= resumedFrom) continue;
      if ('error' in input) {
        checkpoint.rejected++;
        rejections.push({ record, code: 'unreadable', message: input.error });
        continue;
      }
      batch.push({ event: input.event, record });
      if (batch.length >= opts.batchSize) await flush();
      if (interrupted) break;
    }
    if (!interrupted) {
      await flush();
      checkpoint.records = record;
    }
  };

  try {
    if (opts.serviceKey) await send(opts.serviceKey);
    else {
      await withTemporaryKey(
        api,
        () => api.call('POST', '/admin/service-keys', { body: { name: 'tollbooth-cli usage import', scopes: ['usage:write'] } }),
        send,
      );
    }
  } finally {
    bar.stop();
    process.removeListener('SIGINT', onSigint);
  }
  if (interrupted) saveCheckpoint(checkpointFile, checkpoint);
  else clearCheckpoint(checkpointFile);

  const seconds = (Date.now() - started) / 1000;
  for (const r of rejections.slice(0, 20)) process.stderr.write(`rejected record ${r.record}: ${r.code}: ${r.message}\n`);
  if (rejections.length > 20) process.stderr.write(`... and ${rejections.length - 20} more rejected\n`);
  const sent = checkpoint.records - resumedFrom;
  process.stdout.write(
    `${interrupted ? 'interrupted' : 'imported'} ${opts.file}: records=${checkpoint.records}/${total} accepted=${checkpoint.accepted} ` +
      `duplicates=${checkpoint.duplicates} rejected=${checkpoint.rejected} resumed_from=${resumedFrom} ` +
      `seconds=${seconds.toFixed(1)} events_per_s=${Math.round(sent / Math.max(seconds, 0.001))}\n`,
  );
  if (interrupted) process.stdout.write(`progress saved in ${checkpointFile}; run the same command to resume\n`);
  return { checkpoint, interrupted };
}
