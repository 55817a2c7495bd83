/**
 * The store's `lock` file (docs/rocketmq-semantics.md#recovery): one live store per directory. Node has no
 * flock, so the lock is a file created exclusively (O_EXCL) holding the owner's pid and a
 * per-store token. A lock is stale, and taken over, when
 *  - its pid is not a live process (the broker was SIGKILLed), or
 *  - its pid is this process but no live store of this process holds its token (a store that was
 *    power-cut or abandoned in a unit test, which then reopens the directory).
 * Otherwise opening fails with STORE_LOCKED naming the directory and the holder's pid.
 * Known limit: a dead broker's pid reused by an unrelated live process reads as a live holder.
 */
import path from 'node:path';
import { ZerolossError } from '../errors/errors.js';
import { writeFully, type Disk } from '../io/disk.js';

/*
 * lock file content (JSON): { "pid": 4242, "token": "4242-3" }
 */
interface LockHolder {
  pid: number;
  token: string;
}

/** Directory → token of the live stores of this process. */
const liveStores = new Map<string, string>();
let tokenCounter = 0;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(disk: Disk, lockPath: string): LockHolder | null {
  try {
    const parsed = JSON.parse(disk.readFile(lockPath).toString('utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' && typeof parsed.token === 'string' ? { pid: parsed.pid, token: parsed.token } : null;
  } catch {
    return null;
  }
}

export class StoreLock {
  readonly dir: string;
  readonly lockPath: string;
  readonly token: string;
  private held = true;

  private constructor(private readonly disk: Disk, dir: string, token: string) {
    this.dir = dir;
    this.lockPath = path.join(dir, 'lock');
    this.token = token;
  }

  static acquire(disk: Disk, storeDir: string): StoreLock {
    const dir = path.resolve(storeDir);
    const lockPath = path.join(dir, 'lock');
    const token = `${process.pid}-${++tokenCounter}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = disk.open(lockPath, 'wx');
        try {
          writeFully(disk, fd, Buffer.from(JSON.stringify({ pid: process.pid, token } satisfies LockHolder)), 0);
          disk.datasyncSync(fd);
        } finally {
          disk.close(fd);
        }
        disk.syncDirectory(dir);
        liveStores.set(dir, token);
        return new StoreLock(disk, dir, token);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(disk, lockPath);
      if (holder && holder.pid === process.pid && liveStores.get(dir) === holder.token) {
        throw new ZerolossError('STORE_LOCKED', `store directory ${dir} is locked by a live store of this process (pid ${holder.pid})`);
      }
      if (holder && holder.pid !== process.pid && isProcessAlive(holder.pid)) {
        throw new ZerolossError('STORE_LOCKED', `store directory ${dir} is locked by live process pid ${holder.pid}`);
      }
      // Stale: a dead holder, an abandoned store of this process, or a torn lock file.
      disk.remove(lockPath);
    }
    throw new ZerolossError('STORE_LOCKED', `store directory ${dir}: could not take over its stale lock file`);
  }

  /** Leaves the lock file behind but lets this process reopen the directory (the power cut). */
  abandon(): void {
    if (liveStores.get(this.dir) === this.token) liveStores.delete(this.dir);
    this.held = false;
  }

  release(): void {
    if (!this.held) return;
    this.abandon();
    if (readHolder(this.disk, this.lockPath)?.token === this.token) this.disk.remove(this.lockPath);
  }
}
