/**
 * A replica's epoch file in controller mode (RocketMQ 5.x store/ha/autoswitch/EpochFileCache,
 * `epochFileCheckpoint`): which master epoch wrote which range of the commit log, as a list of
 * <epoch, startOffset>. A new master appends its epoch at its log's end; a slave takes the master's
 * list at the handshake. Two lists agree up to the consistent point, and a rejoining replica is cut
 * back to it before it replicates (never merged: what it holds past that point was written by a
 * master the group no longer follows).
 *
 * Kept as JSON, written with writeFileAtomicSync (fdatasync, rename, directory sync).
 */
import path from 'node:path';
import { writeFileAtomicSync, type Disk } from '../io/disk.js';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export const EPOCH_FILE_NAME = 'epochFileCheckpoint';

/** The entries that describe a log ending at `maxOffset`: an epoch that starts past it wrote nothing here. */
export function entriesWithin(entries: readonly EpochEntry[], maxOffset: number): EpochEntry[] {
  return entries.filter((e) => e.startOffset <= maxOffset);
}

/** Where epoch `index` of the list ends in a log ending at `maxOffset`. */
function endOf(entries: readonly EpochEntry[], index: number, maxOffset: number): number {
  return Math.min(entries[index + 1]?.startOffset ?? maxOffset, maxOffset);
}

/**
 * The consistent point of two logs (EpochFileCache.findConsistentPoint): from the local list's last
 * epoch backwards, the first epoch both lists hold with the same start offset; the logs agree up to
 * the smaller of its two ends. 0 when they share no epoch.
 */
export function consistentPoint(local: readonly EpochEntry[], localMax: number, remote: readonly EpochEntry[], remoteMax: number): number {
  const mine = entriesWithin(local, localMax);
  const theirs = entriesWithin(remote, remoteMax);
  for (let i = mine.length - 1; i >= 0; i--) {
    const j = theirs.findIndex((e) => e.epoch === mine[i]!.epoch);
    if (j < 0 || theirs[j]!.startOffset !== mine[i]!.startOffset) continue;
    return Math.min(endOf(mine, i, localMax), endOf(theirs, j, remoteMax));
  }
  return 0;
}

export class EpochFile {
  private entries: EpochEntry[];
  private readonly file: string;

  constructor(private readonly disk: Disk, storePathRootDir: string) {
    this.file = path.join(storePathRootDir, EPOCH_FILE_NAME);
    this.entries = readEntries(disk, this.file);
  }

  all(): EpochEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** The epoch that wrote the end of a log ending at `maxOffset` (0: none). */
  lastEpoch(maxOffset: number): number {
    return entriesWithin(this.entries, maxOffset).at(-1)?.epoch ?? 0;
  }

  /** This replica became master of `epoch` with its log ending at `startOffset`. */
  append(epoch: number, startOffset: number): void {
    const last = this.entries.at(-1);
    if (last && epoch <= last.epoch) {
      throw new RangeError(`epoch ${epoch} is not after the last epoch ${last.epoch} of this replica`);
    }
    this.entries = [...this.entries.filter((e) => e.startOffset < startOffset), { epoch, startOffset }];
    this.save();
  }

  /** A slave takes its master's list, as far as its own log (cut to `maxOffset`) goes. */
  replaceWith(entries: readonly EpochEntry[], maxOffset: number): void {
    this.entries = entriesWithin(entries, maxOffset).map((e) => ({ ...e }));
    this.save();
  }

  private save(): void {
    writeFileAtomicSync(this.disk, this.file, JSON.stringify({ entries: this.entries }));
  }
}

function readEntries(disk: Disk, file: string): EpochEntry[] {
  if (!disk.exists(file)) return [];
  const parsed = JSON.parse(disk.readFile(file).toString('utf8')) as { entries?: unknown };
  if (!Array.isArray(parsed.entries)) throw new Error(`${file} is not an epoch file (no entries list)`);
  return parsed.entries.map((e, i) => {
    const { epoch, startOffset } = e as Partial<EpochEntry>;
    if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(startOffset)) throw new Error(`${file}: entry ${i} is not <epoch, startOffset>`);
    return { epoch: epoch!, startOffset: startOffset! };
  });
}
