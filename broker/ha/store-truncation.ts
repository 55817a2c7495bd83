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
import fs from 'node:fs';
import path from 'node:path';
import { syncDirectory } from '../io/file-layer.js';
import { SEGMENT_FILE_NAME } from '../store/mapped-file.js';

export interface TruncationResult {
  /** max offset of the log before the cut */
  before: number;
  /** max offset after it (= the offset asked for, or less when the log was shorter) */
  after: number;
  removedBytes: number;
}

export function truncateCommitLogFiles(storePathRootDir: string, physicalOffset: number): TruncationResult {
  if (!Number.isSafeInteger(physicalOffset) || physicalOffset < 0) throw new RangeError(`cannot truncate to ${physicalOffset}: not a commit-log offset`);
  const dir = path.join(storePathRootDir, 'commitlog');
  if (!fs.existsSync(dir)) return { before: 0, after: 0, removedBytes: 0 };
  const segments = fs.readdirSync(dir).filter((n) => SEGMENT_FILE_NAME.test(n)).sort()
    .map((name) => ({ name, from: Number(name), size: fs.statSync(path.join(dir, name)).size }));
  const last = segments.at(-1);
  const before = last ? last.from + last.size : 0;
  let removedBytes = 0;
  for (const segment of segments) {
    const file = path.join(dir, segment.name);
    if (segment.from >= physicalOffset) {
      fs.rmSync(file, { force: true });
      removedBytes += segment.size;
    } else if (segment.from + segment.size > physicalOffset) {
      const keep = physicalOffset - segment.from;
      const fd = fs.openSync(file, 'r+');
      try {
        fs.ftruncateSync(fd, keep);
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      removedBytes += segment.size - keep;
    }
  }
  syncDirectory(dir);
  return { before, after: Math.min(before, physicalOffset), removedBytes };
}
