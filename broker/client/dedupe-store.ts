/**
 * Idempotent consumption: the keys of messages already applied, persisted so a consumer restart does
 * not apply a message twice. Applying a message and recording its key are one durable append (the
 * record IS the effect in the lab), fdatasync'd before the consumer acknowledges: a crash before the
 * append redelivers and applies once; a crash after it redelivers and suppresses the duplicate.
 *
 *   file: one key per line, UTF-8; a torn last line (no newline) is ignored on load.
 */
import path from 'node:path';
import { realDisk, writeFully, type Disk } from '../io/disk.js';

export class DedupeStore {
  private readonly keys = new Set<string>();
  private readonly fd: number;
  /** where the next key is appended */
  private end: number;
  suppressed = 0;

  constructor(readonly filePath: string, private readonly disk: Disk = realDisk) {
    disk.mkdirp(path.dirname(filePath));
    this.fd = disk.open(filePath, disk.exists(filePath) ? 'r+' : 'w+');
    const text = disk.readFile(filePath).toString('utf8');
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    for (const line of complete.split('\n')) if (line) this.keys.add(line);
    this.end = Buffer.byteLength(complete);
    if (this.end !== Buffer.byteLength(text)) disk.truncate(this.fd, this.end);
  }

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Records the key durably; false (and counted as suppressed) when it was already applied. */
  apply(key: string): boolean {
    if (this.keys.has(key)) {
      this.suppressed++;
      return false;
    }
    if (key.includes('\n')) throw new Error('a dedupe key must not contain a newline');
    const line = Buffer.from(`${key}\n`);
    writeFully(this.disk, this.fd, line, this.end);
    this.disk.datasyncSync(this.fd);
    this.end += line.length;
    this.keys.add(key);
    return true;
  }

  close(): void {
    this.disk.close(this.fd);
  }
}
