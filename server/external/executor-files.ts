/**
 * The fault executor configured for each external target, kept as data: one file per set of name
 * servers, in exactly the form `zeroloss drill --target external --executors FILE` reads
 * (docs/fault-executors.md), so the dashboard and the CLI share it. The External page loads a target's
 * file when it reads that cluster and saves it once it parses; a file that does not parse is never
 * written. The file holds commands and selectors, no credentials (an ACL account is never saved).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseExecutorConfig, type FaultExecutorConfig } from './fault-executors';

export const EXECUTOR_FILES_DIR = 'external-executors';

export interface ExecutorFile {
  /** the file's path, as the CLI's --executors takes it */
  file: string;
  /** the configuration as the user wrote it */
  text: string;
}

/** The configuration did not parse: the field path and the rule; nothing was written. */
export class ExecutorConfigRefused extends Error {}

export class ExecutorFiles {
  constructor(private readonly dir: string) {}

  /**
   * A target's file: its name servers sorted (the order is the client's fallback order, not another
   * target), each host:port with every character but letters, digits and dots made '-', joined by '_'.
   */
  fileOf(namesrvAddrs: readonly string[]): string {
    const name = [...new Set(namesrvAddrs)].sort().map((a) => a.replace(/[^A-Za-z0-9.]/g, '-')).join('_');
    return path.join(this.dir, `${name}.json`);
  }

  /** The saved configuration of a target, or null when none was saved. */
  read(namesrvAddrs: readonly string[]): ExecutorFile | null {
    const file = this.fileOf(namesrvAddrs);
    try {
      return { file, text: fs.readFileSync(file, 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * Checks `text` whole (parseExecutorConfig: the field path and the rule of the first problem, thrown)
   * and only then replaces the target's file: written beside it and renamed over it, so a reader sees
   * the old file or the new one, never half of one.
   */
  save(namesrvAddrs: readonly string[], text: string): ExecutorFile & { config: FaultExecutorConfig } {
    let config: FaultExecutorConfig;
    try {
      config = parseExecutorConfig(text, 'executor');
    } catch (error) {
      throw new ExecutorConfigRefused((error as Error).message);
    }
    const file = this.fileOf(namesrvAddrs);
    fs.mkdirSync(this.dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    const written = text.endsWith('\n') ? text : `${text}\n`;
    fs.writeFileSync(temporary, written, { mode: 0o600 });
    fs.renameSync(temporary, file);
    return { file, text: written, config };
  }
}
