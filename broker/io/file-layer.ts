/**
 * Every byte the store writes goes through this layer, so it knows at every moment what of each
 * file an fdatasync of this process has covered, can add a slow-disk delay before each fdatasync,
 * and can simulate the worst case of a power cut in one synchronous step (docs/fault-model.md).
 *
 * Writes are synchronous pwrite(2) into the page cache (fast, and one writer keeps the order);
 * fdatasync runs on libuv's thread pool so a SYNC_FLUSH wait never blocks the event loop.
 *
 * The power-cut model. For each file the layer keeps the durable length (the watermark) and the
 * durable bytes that later writes replaced in place. A byte is durable only once an fdatasync *of
 * this process* that was called after the byte's last write has completed:
 *  - a file that exists when opened is durable up to length 0, whatever its size: after a SIGKILL
 *    its tail may sit only in the page cache, and this process cannot tell. Recovery fdatasyncs
 *    what it keeps, which makes it durable;
 *  - datasync() covers what was written before its call (the length, and the bytes below it); a
 *    write made while it runs on the thread pool, or during the slow-disk delay, is not covered;
 *  - the cut (revertAllToDurableSync) cuts every file back to its watermark and writes back the
 *    durable bytes that unsynced in-place writes replaced (a checkpoint rewritten at offset 0, say);
 *  - a write that fails leaves nothing behind: the file is cut back to where it was;
 *  - ftruncate counts as durable at once (shrinking, the bytes never come back; growing, the zeroes
 *    are above the watermark until an fdatasync covers them), and directory entries of created,
 *    deleted and renamed files are synced when made (syncDirectory), so the cut never touches them.
 * What a real power cut can do that this model does not: tear a write inside a sector or page
 * (a torn record, which recovery's CRC check would have to catch), make part of an unsynced write
 * durable and not the rest, persist later writes without earlier ones, reorder or lose metadata
 * (a size change without the data, a shrink undone, a rename or directory entry not yet on disk),
 * or lose data an fdatasync reported as written (a lying disk cache, an fsync error dropping the
 * dirty pages). The model keeps exactly what fdatasync promised: the worst case a correct disk allows
 * at page granularity, and nothing worse.
 */
import path from 'node:path';
import { ZerolossError } from '../errors/errors.js';
import { systemClock, type Clock } from './clock.js';
import { realDisk, writeFileAtomicSync, writeFully, type Disk } from './disk.js';

export interface StoreFile {
  readonly path: string;
  /** bytes in the file as the page cache sees it */
  size(): number;
  /** bytes an fdatasync of this process has covered; a power cut keeps exactly these */
  durableSize(): number;
  /** pwrite at `position` <= size() (never leaving a hole); on failure the file is as before, the bytes below the watermark aside */
  writeAt(buffer: Uint8Array, position: number): void;
  readAt(buffer: Uint8Array, position: number): number;
  /** fdatasync on the thread pool, after the slow-disk delay; what was written before the call becomes durable */
  datasync(): Promise<void>;
  datasyncSync(): void;
  truncate(length: number): void;
  close(): void;
  /** closes, removes the file and syncs its directory; the layer forgets it */
  unlink(): void;
}

/** One file's entry in the power-cut report. */
export interface PowerCutEntry {
  path: string;
  /** the length the file was cut back to: what fdatasyncs of this process covered */
  durable: number;
  /** bytes past the watermark that were cut off */
  lostBytes: number;
  /** bytes below the watermark overwritten in place since their last fdatasync, written back by the cut */
  revertedBytes: number;
}

/** Durable bytes an unsynced write replaced in place, and the sync epoch of that write. */
interface SavedRange {
  position: number;
  bytes: Buffer;
  epoch: number;
}

interface Tracked {
  fd: number;
  size: number;
  durable: number;
  closed: boolean;
  /**
   * Every datasync() call ends an epoch; a write belongs to the epoch in which it was made, and
   * the completion of the call that ended epoch e makes every write of epochs <= e durable.
   */
  epoch: number;
  /** oldest first; at most one range per byte per epoch */
  saved: SavedRange[];
  /** datasync() calls not yet completed, with the length each will make durable */
  inFlight: Set<{ covered: number }>;
}

export interface FileLayerOptions {
  clock?: Clock;
  /** the files themselves (realDisk unless simulated) */
  disk?: Disk;
  /** delay before each fdatasync, read on every call (the slow-disk drill) */
  slowDiskDelayMs?: () => number;
  /**
   * Fault injection for tests, asked before every write: how many of its bytes reach the page
   * cache before the write fails with EIO, or undefined to let it through.
   */
  writeFault?: (filePath: string, position: number, length: number) => number | undefined;
}

export class FileLayer {
  private readonly files = new Map<string, Tracked>();
  readonly clock: Clock;
  readonly disk: Disk;
  private readonly slowDiskDelayMs: () => number;
  private readonly writeFault: FileLayerOptions['writeFault'];
  /** set by the power cut: the disk is gone, nothing is written or made durable any more */
  private powerCut = false;
  /** fdatasync calls completed; exposed for tests and the benchmark */
  syncCount = 0;

  constructor(options: FileLayerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.disk = options.disk ?? realDisk;
    this.slowDiskDelayMs = options.slowDiskDelayMs ?? (() => 0);
    this.writeFault = options.writeFault;
  }

  /**
   * Opens (creating if asked) a file for reading and writing. A file that exists when opened is
   * durable up to length 0 until this process fdatasyncs it, unless this layer wrote it before
   * (then what it knew of the file still holds).
   */
  open(filePath: string, options: { create: boolean }): StoreFile {
    const existing = this.files.get(filePath);
    if (existing && !existing.closed) throw new Error(`file already open: ${filePath}`);
    const disk = this.disk;
    const exists = disk.exists(filePath);
    if (!exists && !options.create) throw new ZerolossError('STORE_CORRUPT', `missing store file: ${filePath}`);
    const fd = disk.open(filePath, exists ? 'r+' : 'w+');
    const size = disk.sizeOf(fd);
    if (!exists) disk.syncDirectory(path.dirname(filePath));
    let tracked: Tracked;
    if (existing && exists && existing.size === size) {
      tracked = existing;
      tracked.fd = fd;
      tracked.closed = false;
    } else {
      tracked = { fd, size, durable: 0, closed: false, epoch: 0, saved: [], inFlight: new Set() };
    }
    this.files.set(filePath, tracked);
    return this.handle(filePath, tracked);
  }

  /** The process is gone (the simulator's SIGKILL): nothing more is written or made durable through this layer. */
  halt(): void {
    this.powerCut = true;
  }

  /** Durable watermark of every file this layer has opened, by path. */
  durableSizes(): Map<string, { size: number; durable: number }> {
    const out = new Map<string, { size: number; durable: number }>();
    for (const [p, t] of this.files) out.set(p, { size: t.size, durable: t.durable });
    return out;
  }

  /** Bytes written but not yet covered by an fdatasync, over all files (overwrites in place aside). */
  unflushedBytes(): number {
    let total = 0;
    for (const t of this.files.values()) total += t.size - t.durable;
    return total;
  }

  /**
   * The power cut: every file is put back to what fdatasyncs of this process covered — the durable
   * bytes unsynced in-place writes replaced are written back, then the file is cut to its
   * watermark. Synchronous on purpose, so nothing else runs between the cut and the SIGKILL that
   * follows it. Reports every file the cut changed, with the length it kept (durableSizes() has
   * every file's).
   *
   * Files written with writeFileAtomic need nothing here: that function returns only once the
   * new content and the rename are durable (temp file fdatasync'd, renamed, directory synced), and
   * the cut, being synchronous, can never fall inside it.
   */
  revertAllToDurableSync(): PowerCutEntry[] {
    this.powerCut = true;
    const disk = this.disk;
    const report: PowerCutEntry[] = [];
    for (const [p, t] of this.files) {
      const revertedBytes = coveredLength(t.saved, t.durable);
      const lostBytes = Math.max(0, t.size - t.durable);
      // A closed file removed behind the layer's back has nothing left to cut.
      if ((revertedBytes > 0 || lostBytes > 0) && (!t.closed || disk.exists(p))) {
        const fd = t.closed ? disk.open(p, 'r+') : t.fd;
        try {
          // Newest first, so where two epochs saved the same byte the oldest (durable) image wins.
          for (let i = t.saved.length - 1; i >= 0; i--) {
            const saved = t.saved[i]!;
            const length = Math.min(saved.bytes.length, t.durable - saved.position);
            if (length > 0) writeFully(disk, fd, saved.bytes.subarray(0, length), saved.position);
          }
          if (lostBytes > 0) disk.truncate(fd, t.durable);
        } finally {
          if (t.closed) disk.close(fd);
        }
      }
      if (revertedBytes > 0 || lostBytes > 0) report.push({ path: p, durable: t.durable, lostBytes, revertedBytes });
      t.size = t.durable;
      t.saved = [];
      t.inFlight.clear();
    }
    return report;
  }

  /**
   * Before a write of [position, position + length): keeps the bytes it replaces below what is or
   * may become durable (the watermark, or the length an in-flight fdatasync will make durable),
   * unless this epoch kept them already.
   */
  private saveOverwritten(t: Tracked, position: number, length: number): void {
    let bound = t.durable;
    for (const sync of t.inFlight) bound = Math.max(bound, sync.covered);
    const end = Math.min(position + length, bound, t.size);
    if (position >= end) return;
    const keptThisEpoch = t.saved.filter((s) => s.epoch === t.epoch);
    for (const [from, to] of subtractRanges(position, end, keptThisEpoch)) {
      const bytes = Buffer.allocUnsafe(to - from);
      const got = this.disk.read(t.fd, bytes, 0, bytes.length, from);
      t.saved.push({ position: from, bytes: bytes.subarray(0, got), epoch: t.epoch });
    }
  }

  private handle(filePath: string, t: Tracked): StoreFile {
    const layer = this;
    const disk = this.disk;
    const ensureOpen = () => {
      if (t.closed) throw new Error(`file closed: ${filePath}`);
    };
    /** An fdatasync that completed: what was written before its call (epoch `epoch`, up to `covered`) is durable. */
    const completed = (epoch: number, covered: number) => {
      layer.syncCount++;
      if (layer.powerCut) return;
      t.durable = Math.max(t.durable, Math.min(covered, t.size));
      t.saved = t.saved.filter((s) => s.epoch > epoch);
    };
    const close = () => {
      if (t.closed) return;
      t.closed = true;
      disk.close(t.fd);
    };
    return {
      path: filePath,
      size: () => t.size,
      durableSize: () => t.durable,
      writeAt(buffer, position) {
        ensureOpen();
        if (layer.powerCut) throw new ZerolossError('DISK_WRITE_FAILED', `write to ${filePath} after the power cut`);
        if (position > t.size) throw new Error(`write at ${position} past the end (${t.size}) of ${filePath} would leave a hole`);
        layer.saveOverwritten(t, position, buffer.length);
        const allowed = layer.writeFault?.(filePath, position, buffer.length);
        const limit = allowed === undefined ? buffer.length : Math.min(allowed, buffer.length);
        let written = 0;
        try {
          while (written < limit) {
            written += disk.write(t.fd, buffer, written, limit - written, position + written);
          }
          if (limit < buffer.length) throw Object.assign(new Error('EIO: i/o error, write (injected)'), { code: 'EIO' });
        } catch (cause) {
          // Never leave a partial record behind: cut back to where the file ended before this write.
          if (position + written > t.size) disk.truncate(t.fd, t.size);
          throw new ZerolossError('DISK_WRITE_FAILED', `write of ${buffer.length} bytes at ${position} to ${filePath} failed: ${(cause as Error).message}`, { cause });
        }
        t.size = Math.max(t.size, position + buffer.length);
      },
      readAt(buffer, position) {
        ensureOpen();
        return disk.read(t.fd, buffer, 0, buffer.length, position);
      },
      async datasync() {
        ensureOpen();
        const epoch = t.epoch++;
        const sync = { covered: t.size };
        t.inFlight.add(sync);
        try {
          const delay = layer.slowDiskDelayMs();
          if (delay > 0) await layer.clock.sleep(delay);
          if (t.closed) return;
          await disk.datasync(t.fd);
        } finally {
          t.inFlight.delete(sync);
        }
        completed(epoch, sync.covered);
      },
      datasyncSync() {
        ensureOpen();
        const epoch = t.epoch++;
        const covered = t.size;
        disk.datasyncSync(t.fd);
        completed(epoch, covered);
      },
      truncate(length) {
        ensureOpen();
        disk.truncate(t.fd, length);
        t.size = length;
        t.durable = Math.min(t.durable, length);
        for (const sync of t.inFlight) sync.covered = Math.min(sync.covered, length);
        t.saved = t.saved.filter((s) => s.position < length).map((s) => ({ ...s, bytes: s.bytes.subarray(0, length - s.position) }));
      },
      close,
      unlink() {
        close();
        disk.remove(filePath);
        disk.syncDirectory(path.dirname(filePath));
        if (layer.files.get(filePath) === t) layer.files.delete(filePath);
      },
    };
  }
}

/** The parts of [from, to) no range covers. */
function subtractRanges(from: number, to: number, ranges: readonly SavedRange[]): [number, number][] {
  const sorted = ranges.map((r) => [r.position, r.position + r.bytes.length] as const).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  let cursor = from;
  for (const [start, end] of sorted) {
    if (end <= cursor) continue;
    if (start >= to) break;
    if (start > cursor) out.push([cursor, start]);
    cursor = Math.max(cursor, end);
    if (cursor >= to) break;
  }
  if (cursor < to) out.push([cursor, to]);
  return out;
}

/** Bytes below `limit` that at least one range covers. */
function coveredLength(ranges: readonly SavedRange[], limit: number): number {
  return limit - subtractRanges(0, limit, ranges).reduce((n, [from, to]) => n + (to - from), 0);
}
