/**
 * The simulator's disk, with LazyFS's semantics: every write lands in a volatile cache (the page
 * cache), and only fdatasync/fsync moves a file's cached bytes to the medium. A power cut throws the
 * cache away: each file goes back to what its last completed sync stored, optionally with the
 * oldest unsynced write torn in (a prefix of its 512-byte sectors reached the medium), and the
 * directory entries go back to what the last directory sync stored. Faults on demand: fdatasync
 * failing with EIO, ENOSPC past a capacity, slow syncs, and bit flips on the medium that the
 * commit log's CRC must catch.
 *
 * It implements the Disk interface the broker's real code runs on (broker/io/disk.ts); a sync takes
 * simulated time on the clock of the process using the disk. One SimDisk is one node's disk: it
 * outlives the node's processes (a SIGKILL keeps the page cache; `processDied` only closes the
 * descriptors), loses its cache with the node's power (`powerCut`), or is lost whole (`wipe`).
 */
import path from 'node:path';
import type { Disk, OpenMode } from '../io/disk.js';
import type { Random } from '../io/prng.js';
import type { Clock } from '../io/clock.js';

export const SECTOR_BYTES = 512;

/** A change not yet on the medium: a write (its bytes) or a truncation; `seq` orders them disk-wide. */
type PendingOp = { seq: number; at: number; data: Buffer } | { seq: number; truncateTo: number };

interface Inode {
  /** what reads see: the page cache over the medium */
  cache: Buffer;
  cacheSize: number;
  /** what the medium holds; what survives a power cut */
  medium: Buffer;
  mediumSize: number;
  /** changes since the medium was last brought up to date, oldest first */
  pending: PendingOp[];
}

interface Descriptor {
  inode: Inode;
  path: string;
  /** for writes at the file position (append mode) */
  position: number;
  append: boolean;
  readOnly: boolean;
}

export interface SimDiskFaults {
  /** simulated time one fdatasync takes, ms */
  syncLatencyMs: () => number;
  /** true: this fdatasync fails with EIO (the cache is kept, nothing reaches the medium) */
  syncFails?: () => boolean;
  /** total bytes the disk holds; a write past it fails with ENOSPC */
  capacityBytes?: number;
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export class SimDisk implements Disk {
  /** path → inode, as the page cache's directory entries see it */
  private readonly entries = new Map<string, Inode>();
  /** path → inode, as the medium's directory entries hold them (after a directory sync) */
  private readonly durableEntries = new Map<string, Inode>();
  private readonly directories = new Set<string>(['/']);
  private readonly fds = new Map<number, Descriptor>();
  private nextFd = 3;
  private opSeq = 0;
  /** a slow disk: every fdatasync takes this much longer (what was written during it is still not covered) */
  slowByMs = 0;
  /** syncs completed, and failed */
  syncs = 0;
  syncFailures = 0;

  constructor(private clock: Clock, private readonly faults: SimDiskFaults) {}

  /** A new process of the node uses the disk: its syncs complete on that process's clock. */
  reboot(clock: Clock): void {
    this.clock = clock;
  }

  /** The process using the disk is gone: its descriptors close; the page cache stays. */
  processDied(): void {
    this.fds.clear();
  }

  exists(filePath: string): boolean {
    const p = path.resolve(filePath);
    return this.entries.has(p) || this.directories.has(p);
  }

  isDirectory(filePath: string): boolean {
    const p = path.resolve(filePath);
    if (this.directories.has(p)) return true;
    if (this.entries.has(p)) return false;
    throw errnoError('ENOENT', `no such file or directory, stat '${p}'`);
  }

  readdir(dir: string): string[] {
    const d = path.resolve(dir);
    if (!this.directories.has(d)) throw errnoError('ENOENT', `no such file or directory, scandir '${d}'`);
    const names = new Set<string>();
    for (const p of [...this.entries.keys(), ...this.directories]) {
      if (p !== d && path.dirname(p) === d) names.add(path.basename(p));
    }
    return [...names].sort();
  }

  /** Directories are durable when made (a simplification: the lab syncs every new directory's parent). */
  mkdirp(dir: string): void {
    for (let d = path.resolve(dir); !this.directories.has(d); d = path.dirname(d)) this.directories.add(d);
  }

  readFile(filePath: string): Buffer {
    const inode = this.inodeAt(filePath);
    return Buffer.from(inode.cache.subarray(0, inode.cacheSize));
  }

  remove(filePath: string): void {
    const p = path.resolve(filePath);
    this.entries.delete(p);
    if (this.directories.has(p)) {
      for (const q of [...this.entries.keys()]) if (q.startsWith(`${p}/`)) this.entries.delete(q);
      for (const q of [...this.directories]) if (q === p || q.startsWith(`${p}/`)) this.directories.delete(q);
    }
  }

  rename(from: string, to: string): void {
    const inode = this.inodeAt(from);
    this.entries.delete(path.resolve(from));
    this.entries.set(path.resolve(to), inode);
  }

  syncDirectory(dir: string): void {
    const d = path.resolve(dir);
    for (const p of [...this.durableEntries.keys()]) if (path.dirname(p) === d && this.entries.get(p) !== this.durableEntries.get(p)) this.durableEntries.delete(p);
    for (const [p, inode] of this.entries) if (path.dirname(p) === d) this.durableEntries.set(p, inode);
  }

  open(filePath: string, mode: OpenMode): number {
    const p = path.resolve(filePath);
    let inode = this.entries.get(p);
    if (mode === 'wx' && inode) throw errnoError('EEXIST', `file already exists, open '${p}'`);
    if (!inode) {
      if (mode === 'r' || mode === 'r+') throw errnoError('ENOENT', `no such file or directory, open '${p}'`);
      if (!this.directories.has(path.dirname(p))) throw errnoError('ENOENT', `no such file or directory, open '${p}'`);
      inode = { cache: Buffer.alloc(0), cacheSize: 0, medium: Buffer.alloc(0), mediumSize: 0, pending: [] };
      this.entries.set(p, inode);
    } else if (mode === 'w' || mode === 'w+') {
      this.truncateInode(inode, 0);
    }
    const fd = this.nextFd++;
    this.fds.set(fd, { inode, path: p, position: mode === 'a' ? inode.cacheSize : 0, append: mode === 'a', readOnly: mode === 'r' });
    return fd;
  }

  sizeOf(fd: number): number {
    return this.descriptor(fd).inode.cacheSize;
  }

  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number {
    const d = this.descriptor(fd);
    if (d.readOnly) throw errnoError('EBADF', 'bad file descriptor, write');
    const at = position ?? (d.append ? d.inode.cacheSize : d.position);
    const end = at + length;
    if (end > d.inode.cacheSize && this.faults.capacityBytes !== undefined && this.usedBytes() + (end - d.inode.cacheSize) > this.faults.capacityBytes) {
      throw errnoError('ENOSPC', `no space left on device, write`);
    }
    const data = Buffer.from(buffer.subarray(offset, offset + length));
    d.inode.cacheSize = grow(d.inode.cache, d.inode.cacheSize, end, (b) => (d.inode.cache = b));
    d.inode.cache.set(data, at);
    d.inode.pending.push({ seq: this.opSeq++, at, data });
    if (position === null) d.position = end;
    return length;
  }

  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const inode = this.descriptor(fd).inode;
    const n = Math.max(0, Math.min(length, inode.cacheSize - position));
    buffer.set(inode.cache.subarray(position, position + n), offset);
    return n;
  }

  truncate(fd: number, length: number): void {
    this.truncateInode(this.descriptor(fd).inode, length);
  }

  /** Completes after the simulated sync latency; stores what was cached when it was called. */
  datasync(fd: number): Promise<void> {
    const inode = this.descriptor(fd).inode;
    const covered = this.opSeq;
    const fails = this.faults.syncFails?.() ?? false;
    return new Promise((resolve, reject) => {
      this.clock.setTimeout(() => {
        if (fails) {
          this.syncFailures++;
          reject(errnoError('EIO', 'i/o error, fdatasync'));
          return;
        }
        this.store(inode, covered);
        resolve();
      }, this.faults.syncLatencyMs() + this.slowByMs);
    });
  }

  datasyncSync(fd: number): void {
    this.store(this.descriptor(fd).inode, this.opSeq);
  }

  close(fd: number): void {
    this.fds.delete(fd);
  }

  // -------------------------------------------------------------------------------------------
  // Faults
  // -------------------------------------------------------------------------------------------

  /**
   * The node's power is lost: every file goes back to its medium, with the oldest unsynced write
   * torn in when `tear` is given (a random prefix of its sectors reached the medium), and the
   * directory entries go back to the last directory syncs. Returns the unsynced bytes thrown away.
   */
  powerCut(tear?: Random): number {
    this.processDied();
    let lost = 0;
    const inodes = new Set([...this.entries.values(), ...this.durableEntries.values()]);
    for (const inode of inodes) {
      const first = inode.pending[0];
      if (tear && first && 'data' in first && first.data.length > 0) {
        const sectors = Math.ceil(first.data.length / SECTOR_BYTES);
        const kept = Math.min(first.data.length, tear.int(sectors + 1) * SECTOR_BYTES);
        if (kept > 0) this.apply(inode, { seq: first.seq, at: first.at, data: first.data.subarray(0, kept) });
      }
      for (const op of inode.pending) if ('data' in op) lost += op.data.length;
      inode.pending = [];
      inode.cache = Buffer.from(inode.medium);
      inode.cacheSize = inode.mediumSize;
    }
    this.entries.clear();
    for (const [p, inode] of this.durableEntries) this.entries.set(p, inode);
    return lost;
  }

  /** The disk is lost (and replaced by an empty one): every file and directory is gone. */
  wipe(): void {
    this.processDied();
    this.entries.clear();
    this.durableEntries.clear();
    this.directories.clear();
    this.directories.add('/');
  }

  /** Flips one bit of a file on the medium and in the cache (a bad sector the CRC must catch). */
  flipBit(filePath: string, byteOffset: number, bit: number): void {
    const inode = this.inodeAt(filePath);
    if (byteOffset < inode.mediumSize) inode.medium[byteOffset]! ^= 1 << bit;
    if (byteOffset < inode.cacheSize) inode.cache[byteOffset]! ^= 1 << bit;
  }

  /** Bytes written and not yet synced, over every file. */
  unsyncedBytes(): number {
    let total = 0;
    for (const inode of new Set(this.entries.values())) {
      for (const op of inode.pending) if ('data' in op) total += op.data.length;
    }
    return total;
  }

  /** A sync completed: the changes made before it was called (seq < covered) reach the medium. */
  private store(inode: Inode, covered: number): void {
    this.syncs++;
    let n = 0;
    while (n < inode.pending.length && inode.pending[n]!.seq < covered) this.apply(inode, inode.pending[n++]!);
    inode.pending.splice(0, n);
  }

  private apply(inode: Inode, op: PendingOp): void {
    if ('data' in op) {
      inode.mediumSize = grow(inode.medium, inode.mediumSize, Math.max(inode.mediumSize, op.at + op.data.length), (b) => (inode.medium = b));
      inode.medium.set(op.data, op.at);
    } else {
      inode.mediumSize = grow(inode.medium, inode.mediumSize, op.truncateTo, (b) => (inode.medium = b));
    }
  }

  private truncateInode(inode: Inode, length: number): void {
    inode.cacheSize = grow(inode.cache, inode.cacheSize, length, (b) => (inode.cache = b));
    inode.pending.push({ seq: this.opSeq++, truncateTo: length });
  }

  private usedBytes(): number {
    let total = 0;
    for (const inode of new Set(this.entries.values())) total += inode.cacheSize;
    return total;
  }


  private inodeAt(filePath: string): Inode {
    const inode = this.entries.get(path.resolve(filePath));
    if (!inode) throw errnoError('ENOENT', `no such file or directory, open '${path.resolve(filePath)}'`);
    return inode;
  }

  private descriptor(fd: number): Descriptor {
    const d = this.fds.get(fd);
    if (!d) throw errnoError('EBADF', `bad file descriptor ${fd}`);
    return d;
  }
}

/**
 * Resizes the bytes `buffer[0, size)` to `newSize`: growing reallocates (doubling) through `replace`
 * and reads as zeroes, shrinking zeroes the tail so a later growth reads zeroes too. Returns newSize.
 */
function grow(buffer: Buffer, size: number, newSize: number, replace: (b: Buffer) => void): number {
  if (newSize > buffer.length) {
    const grown = Buffer.alloc(Math.max(newSize, buffer.length * 2, 4096));
    buffer.copy(grown, 0, 0, size);
    replace(grown);
  } else if (newSize < size) {
    buffer.fill(0, newSize, size);
  }
  return newSize;
}
