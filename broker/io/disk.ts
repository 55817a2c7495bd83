/**
 * Files go through this interface: every open, read, write, fdatasync, truncate, rename and
 * directory operation of broker/ (test/unit/tidy.test.ts refuses `node:fs` anywhere else in broker/),
 * so the same broker code can run on a simulated disk whose unsynced writes a power cut drops.
 *
 * realDisk, below, is the real implementation: synchronous calls, and fdatasync on libuv's thread
 * pool so a SYNC_FLUSH wait never blocks the event loop. What a power cut keeps on the real disk is
 * modelled above it, by the FileLayer (file-layer.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

/** open(2) modes in use: read-write on an existing file, create-or-empty, create-exclusive, append. */
export type OpenMode = 'r' | 'r+' | 'w' | 'w+' | 'wx' | 'a';

export interface Disk {
  exists(filePath: string): boolean;
  isDirectory(filePath: string): boolean;
  /** names in a directory, unsorted */
  readdir(dir: string): string[];
  /** creates a directory and its missing parents */
  mkdirp(dir: string): void;
  readFile(filePath: string): Buffer;
  /** removes a file, or a directory and everything in it; nothing if it is absent */
  remove(filePath: string): void;
  rename(from: string, to: string): void;
  /** fsync of a directory: its entries (created, renamed, removed files) become durable */
  syncDirectory(dir: string): void;

  open(filePath: string, mode: OpenMode): number;
  /** the size of an open file (fstat) */
  sizeOf(fd: number): number;
  /** pwrite(2) at `position`, or write(2) at the file position when it is null; returns bytes written */
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  /** pread(2); returns bytes read, 0 at the end */
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  truncate(fd: number, length: number): void;
  /** fdatasync(2) off the event loop */
  datasync(fd: number): Promise<void>;
  datasyncSync(fd: number): void;
  close(fd: number): void;
}

export const realDisk: Disk = {
  exists: (filePath) => fs.existsSync(filePath),
  isDirectory: (filePath) => fs.statSync(filePath).isDirectory(),
  readdir: (dir) => fs.readdirSync(dir),
  mkdirp: (dir) => void fs.mkdirSync(dir, { recursive: true }),
  readFile: (filePath) => fs.readFileSync(filePath),
  remove: (filePath) => fs.rmSync(filePath, { force: true, recursive: true }),
  rename: (from, to) => fs.renameSync(from, to),
  syncDirectory(dir) {
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
  },
  open: (filePath, mode) => fs.openSync(filePath, mode),
  sizeOf: (fd) => fs.fstatSync(fd).size,
  write: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  read: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  datasync: (fd) => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
  datasyncSync: (fd) => fs.fdatasyncSync(fd),
  close: (fd) => fs.closeSync(fd),
};

/** Writes all of `bytes` at `position` (null: at the file position), however many calls it takes. */
export function writeFully(disk: Disk, fd: number, bytes: Uint8Array, position: number | null): void {
  let written = 0;
  while (written < bytes.length) written += disk.write(fd, bytes, written, bytes.length - written, position === null ? null : position + written);
}

/**
 * Writes a small file atomically and durably: temp file, fdatasync, rename, directory sync. The
 * previous version is kept as `.bak`, itself fdatasync'd before the rename so a fallback to it never
 * reads a copy a power cut emptied. Durable when it returns, so a power cut (which is synchronous)
 * never falls inside it.
 */
export function writeFileAtomicSync(disk: Disk, filePath: string, data: string | Uint8Array): void {
  const tmp = `${filePath}.tmp`;
  writeAndSync(disk, tmp, typeof data === 'string' ? Buffer.from(data) : data);
  if (disk.exists(filePath)) writeAndSync(disk, `${filePath}.bak`, disk.readFile(filePath));
  disk.rename(tmp, filePath);
  disk.syncDirectory(path.dirname(filePath));
}

function writeAndSync(disk: Disk, filePath: string, data: Uint8Array): void {
  const fd = disk.open(filePath, 'w');
  try {
    writeFully(disk, fd, data, 0);
    disk.datasyncSync(fd);
  } finally {
    disk.close(fd);
  }
}

