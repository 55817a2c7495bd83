/**
 * Cuts a stopped broker's commit log back to a physical offset, before its store is opened: the
 * slave side of a rebuild (to 0 or to a common prefix) and of an old master rejoining as a slave
 * (to the offset the promoted slave had when it was promoted).
 *
 * Only commit-log segment files are touched: segments starting at or after the offset are deleted,
 * the one holding it is cut to length. The store's own recovery then does the rest exactly as after
 * a torn tail: it validates the (now shorter) log, cuts consume-queue entries pointing at or past
 * its end and re-dispatches from the checkpoint, so no other file needs editing here.
 * The offset must be a record boundary of the log (a common prefix always is).
 */
import path from 'node:path';
import { writeFileAtomicSync, type Disk } from '../io/disk.js';
import type { EpochEntry } from './epoch-file.js';
import { SEGMENT_FILE_NAME } from '../store/mapped-file.js';

export interface TruncationResult {
  /** max offset of the log before the cut */
  before: number;
  /** max offset after it (= the offset asked for, or less when the log was shorter) */
  after: number;
  removedBytes: number;
}

export function truncateCommitLogFiles(disk: Disk, storePathRootDir: string, physicalOffset: number): TruncationResult {
  if (!Number.isSafeInteger(physicalOffset) || physicalOffset < 0) throw new RangeError(`cannot truncate to ${physicalOffset}: not a commit-log offset`);
  const dir = path.join(storePathRootDir, 'commitlog');
  if (!disk.exists(dir)) return { before: 0, after: 0, removedBytes: 0 };
  const segments = disk.readdir(dir).filter((n) => SEGMENT_FILE_NAME.test(n)).sort()
    .map((name) => ({ name, from: Number(name), size: sizeOfFile(disk, path.join(dir, name)) }));
  const last = segments.at(-1);
  const before = last ? last.from + last.size : 0;
  let removedBytes = 0;
  for (const segment of segments) {
    const file = path.join(dir, segment.name);
    if (segment.from >= physicalOffset) {
      disk.remove(file);
      removedBytes += segment.size;
    } else if (segment.from + segment.size > physicalOffset) {
      const keep = physicalOffset - segment.from;
      const fd = disk.open(file, 'r+');
      try {
        disk.truncate(fd, keep);
        disk.datasyncSync(fd);
      } finally {
        disk.close(fd);
      }
      removedBytes += segment.size - keep;
    }
  }
  disk.syncDirectory(dir);
  return { before, after: Math.min(before, physicalOffset), removedBytes };
}

function sizeOfFile(disk: Disk, filePath: string): number {
  const fd = disk.open(filePath, 'r');
  try {
    return disk.sizeOf(fd);
  } finally {
    disk.close(fd);
  }
}

/**
 * Controller mode: the cut a replica found it needs before it can follow its master (its log goes
 * past the consistent point), recorded durably before it restarts; the start-up truncation makes it
 * and takes the master's epochs up to the cut, then removes the record.
 */
export interface RejoinTruncation {
  truncateTo: number;
  epochs: EpochEntry[];
}

const REJOIN_TRUNCATION_FILE = path.join('config', 'controllerTruncation.json');

export function recordRejoinTruncation(disk: Disk, storePathRootDir: string, truncation: RejoinTruncation): void {
  const file = path.join(storePathRootDir, REJOIN_TRUNCATION_FILE);
  disk.mkdirp(path.dirname(file));
  writeFileAtomicSync(disk, file, JSON.stringify(truncation));
}

export function readRejoinTruncation(disk: Disk, storePathRootDir: string): RejoinTruncation | undefined {
  const file = path.join(storePathRootDir, REJOIN_TRUNCATION_FILE);
  if (!disk.exists(file)) return undefined;
  const parsed = JSON.parse(disk.readFile(file).toString('utf8')) as { truncateTo?: unknown; epochs?: unknown };
  if (!Number.isSafeInteger(parsed.truncateTo) || !Array.isArray(parsed.epochs)) throw new Error(`${file} is not a truncation record (truncateTo, epochs)`);
  return { truncateTo: parsed.truncateTo as number, epochs: parsed.epochs as EpochEntry[] };
}

export function removeRejoinTruncation(disk: Disk, storePathRootDir: string): void {
  disk.remove(path.join(storePathRootDir, REJOIN_TRUNCATION_FILE));
}
