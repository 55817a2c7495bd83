/**
 * Idempotent consumption: the keys of messages already applied, persisted so a consumer restart does
 * not apply a message twice. Applying a message and recording its key are one durable append (the
 * record IS the effect in the lab), fdatasync'd before the consumer acknowledges: a crash before the
 * append redelivers and applies once; a crash after it redelivers and suppresses the duplicate.
 *
 *   file: one key per line, UTF-8; a torn last line (no newline) is ignored on load.
 */
import fs from 'node:fs';
import path from 'node:path';

export class DedupeStore {
  private readonly keys = new Set<string>();
  private readonly fd: number;
  suppressed = 0;

  constructor(readonly filePath: string) {
    fs.mkdirSync(path.dirname(filePath), { recursive: true });
    if (fs.existsSync(filePath)) {
      const text = fs.readFileSync(filePath, 'utf8');
      const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
      for (const line of complete.split('\n')) if (line) this.keys.add(line);
      if (complete.length !== text.length) fs.truncateSync(filePath, Buffer.byteLength(complete));
    }
    this.fd = fs.openSync(filePath, 'a');
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
    fs.writeSync(this.fd, `${key}\n`);
    fs.fdatasyncSync(this.fd);
    this.keys.add(key);
    return true;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
