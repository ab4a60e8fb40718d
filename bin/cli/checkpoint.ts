import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

/** How far an import got: the first `records` records of this version of the file are done. */
export interface Checkpoint {
  size: number;
  mtimeMs: number;
  records: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

export const emptyCheckpoint = (file: string): Checkpoint => {
  const { size, mtimeMs } = statSync(file);
  return { size, mtimeMs, records: 0, accepted: 0, duplicates: 0, rejected: 0 };
};

/**
 * The saved progress of an earlier run on the same file, or a fresh start when there is none or
 * the file changed since (resending is safe either way: event ids make ingestion idempotent; the
 * checkpoint only saves sending again).
 */
export function loadCheckpoint(path: string, file: string): Checkpoint {
  const fresh = emptyCheckpoint(file);
  if (!existsSync(path)) return fresh;
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
    return saved.size === fresh.size && saved.mtimeMs === fresh.mtimeMs ? saved : fresh;
  } catch {
    return fresh;
  }
}

/** Written after each acknowledged batch; write-then-rename, so a crash never leaves half a file. */
export function saveCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(checkpoint));
  renameSync(`${path}.tmp`, path);
}

export const clearCheckpoint = (path: string): void => rmSync(path, { force: true });
