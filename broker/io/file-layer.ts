/**
 * Every byte the store writes goes through this layer, so it knows at every moment how much of
 * each file an fdatasync has covered (the durable watermark), can add a slow-disk delay before
 * each fdatasync, and can simulate the worst case of a power cut: every file cut back to its
 * durable length in one synchronous step (design.md, fault model).
 *
 * Writes are synchronous pwrite(2) into the page cache (fast, and one writer keeps the order);
 * fdatasync runs on libuv's thread pool so a SYNC_FLUSH wait never blocks the event loop.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ZerolossError } from '../errors/errors.js';
import { systemClock, type Clock } from './clock.js';

export interface StoreFile {
  readonly path: string;
  /** bytes in the file as the page cache sees it */
  size(): number;
  /** bytes an fdatasync has covered; a power cut keeps exactly these */
  durableSize(): number;
  writeAt(buffer: Uint8Array, position: number): void;
  readAt(buffer: Uint8Array, position: number): number;
  /** fdatasync on the thread pool, after the slow-disk delay; the size captured at the call becomes durable */
  datasync(): Promise<void>;
  datasyncSync(): void;
  truncate(length: number): void;
  close(): void;
}

interface Tracked {
  fd: number;
  size: number;
  durable: number;
  closed: boolean;
}

export interface FileLayerOptions {
  clock?: Clock;
  /** delay before each fdatasync, read on every call (the slow-disk drill) */
  slowDiskDelayMs?: () => number;
}

export class FileLayer {
  private readonly files = new Map<string, Tracked>();
  private readonly clock: Clock;
  private readonly slowDiskDelayMs: () => number;
  /** fdatasync calls completed; exposed for tests and the benchmark */
  syncCount = 0;

  constructor(options: FileLayerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.slowDiskDelayMs = options.slowDiskDelayMs ?? (() => 0);
  }

  /**
   * Opens (creating if asked) a file for reading and writing. A file that exists when opened is
   * taken as durable up to its current length: whatever survived the last stop is what the disk holds.
   */
  open(filePath: string, options: { create: boolean }): StoreFile {
    const existing = this.files.get(filePath);
    if (existing && !existing.closed) throw new Error(`file already open: ${filePath}`);
    const exists = fs.existsSync(filePath);
    if (!exists && !options.create) throw new ZerolossError('STORE_CORRUPT', `missing store file: ${filePath}`);
    const fd = fs.openSync(filePath, exists ? 'r+' : 'w+');
    const size = fs.fstatSync(fd).size;
    if (!exists) syncDirectory(path.dirname(filePath));
    const tracked: Tracked = { fd, size, durable: exists ? size : 0, closed: false };
    this.files.set(filePath, tracked);
    return this.handle(filePath, tracked);
  }

  /** Durable watermark of every file this layer has written, by path. */
  durableSizes(): Map<string, { size: number; durable: number }> {
    const out = new Map<string, { size: number; durable: number }>();
    for (const [p, t] of this.files) out.set(p, { size: t.size, durable: t.durable });
    return out;
  }

  /** Bytes written but not yet covered by an fdatasync, over all files. */
  unflushedBytes(): number {
    let total = 0;
    for (const t of this.files.values()) total += t.size - t.durable;
    return total;
  }

  /**
   * The power cut: every file is cut back to what fdatasync covered. Synchronous on purpose, so
   * nothing else runs between the cut and the SIGKILL that follows it.
   */
  truncateAllToDurableSync(): { path: string; lostBytes: number }[] {
    const cut: { path: string; lostBytes: number }[] = [];
    for (const [p, t] of this.files) {
      if (t.size === t.durable) continue;
      fs.truncateSync(p, t.durable);
      cut.push({ path: p, lostBytes: t.size - t.durable });
      t.size = t.durable;
    }
    return cut;
  }

  private handle(filePath: string, t: Tracked): StoreFile {
    const layer = this;
    const ensureOpen = () => {
      if (t.closed) throw new Error(`file closed: ${filePath}`);
    };
    return {
      path: filePath,
      size: () => t.size,
      durableSize: () => t.durable,
      writeAt(buffer, position) {
        ensureOpen();
        let written = 0;
        try {
          while (written < buffer.length) {
            written += fs.writeSync(t.fd, buffer, written, buffer.length - written, position + written);
          }
        } catch (cause) {
          // Never leave a partial record behind: cut back to where this write began.
          if (position + written > t.size) fs.ftruncateSync(t.fd, Math.max(t.size, position));
          throw new ZerolossError('DISK_WRITE_FAILED', `write of ${buffer.length} bytes at ${position} to ${filePath} failed: ${(cause as Error).message}`, { cause });
        }
        t.size = Math.max(t.size, position + buffer.length);
      },
      readAt(buffer, position) {
        ensureOpen();
        return fs.readSync(t.fd, buffer, 0, buffer.length, position);
      },
      async datasync() {
        ensureOpen();
        const covered = t.size;
        const delay = layer.slowDiskDelayMs();
        if (delay > 0) await layer.clock.sleep(delay);
        if (t.closed) return;
        await new Promise<void>((resolve, reject) => fs.fdatasync(t.fd, (error) => (error ? reject(error) : resolve())));
        layer.syncCount++;
        if (covered > t.durable) t.durable = Math.min(covered, t.size);
      },
      datasyncSync() {
        ensureOpen();
        const covered = t.size;
        fs.fdatasyncSync(t.fd);
        layer.syncCount++;
        t.durable = covered;
      },
      truncate(length) {
        ensureOpen();
        fs.ftruncateSync(t.fd, length);
        t.size = length;
        t.durable = Math.min(t.durable, length);
      },
      close() {
        if (t.closed) return;
        t.closed = true;
        fs.closeSync(t.fd);
      },
    };
  }
}

/** Makes a new directory entry durable (a new segment file survives a power cut only then). */
export function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the data itself is still synced.
  }
}

/** Writes a small file atomically and durably: temp file, fdatasync, rename, directory sync. */
export function writeFileAtomicSync(filePath: string, data: string | Uint8Array): void {
  const tmp = `${filePath}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.existsSync(filePath)) fs.copyFileSync(filePath, `${filePath}.bak`);
  fs.renameSync(tmp, filePath);
  syncDirectory(path.dirname(filePath));
}
