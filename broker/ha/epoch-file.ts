/**
 * A replica's epoch file in controller mode (RocketMQ 5.x store/ha/autoswitch/EpochFileCache,
 * `epochFileCheckpoint`): which master epoch wrote which range of the commit log, as a list of
 * <epoch, startOffset>. A new master appends its epoch at its log's end; a slave takes the master's
 * list at the handshake. Two lists agree up to the consistent point, and a rejoining replica is cut
 * back to it before it replicates (never merged: what it holds past that point was written by a
 * master the group no longer follows).
 *
 * The file is RocketMQ's CheckpointFile text: the entry count, the CRC32 of the entry lines, then one
 * `<epoch>-<startOffset>` line per entry; written with writeFileAtomicSync (fdatasync, rename,
 * directory sync), its previous version kept as `.bak` and read when the file is missing or corrupt.
 */
import path from 'node:path';
import zlib from 'node:zlib';
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

  /**
   * This replica became master of `epoch` with its log ending at `startOffset`. Epochs that start
   * at or past that point wrote nothing here (a master's epoch this replica never received) and go.
   */
  append(epoch: number, startOffset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < startOffset);
    const last = kept.at(-1);
    if (last && epoch <= last.epoch) {
      throw new RangeError(`epoch ${epoch} is not after the last epoch ${last.epoch} of this replica`);
    }
    this.entries = [...kept, { epoch, startOffset }];
    this.save();
  }

  /**
   * A slave takes its master's list, as far as `maxOffset` (Infinity: all of it; epochs past its own
   * end are kept, so that it knows them as it replicates them and when it is elected; they count only
   * once its log reaches them, see entriesWithin).
   */
  replaceWith(entries: readonly EpochEntry[], maxOffset: number): void {
    this.entries = entriesWithin(entries, maxOffset).map((e) => ({ ...e }));
    this.save();
  }

  private save(): void {
    writeFileAtomicSync(this.disk, this.file, formatEpochFile(this.entries));
  }
}

const entryLines = (entries: readonly EpochEntry[]) => entries.map((e) => `${e.epoch}-${e.startOffset}\n`).join('');

/** CheckpointFile's text: count, CRC32 of the entry lines, the entry lines. */
export function formatEpochFile(entries: readonly EpochEntry[]): string {
  const lines = entryLines(entries);
  return `${entries.length}\n${zlib.crc32(lines)}\n${lines}`;
}

/** Parses CheckpointFile's text; throws a sentence saying what is wrong (a CRC of 0 is not checked, as in RocketMQ). */
export function parseEpochFile(text: string): EpochEntry[] {
  const [countLine = '', crcLine = '', ...rest] = text.split('\n');
  const count = Number(countLine);
  if (!/^\d+$/.test(countLine)) throw new Error(`the first line is not an entry count ("${countLine.slice(0, 40)}")`);
  const entries = rest.filter((line) => line !== '').map((line) => {
    const match = /^(\d+)-(\d+)$/.exec(line);
    if (!match) throw new Error(`"${line.slice(0, 40)}" is not an <epoch>-<startOffset> line`);
    return { epoch: Number(match[1]), startOffset: Number(match[2]) };
  });
  if (entries.length !== count) throw new Error(`it says ${count} entries and holds ${entries.length}`);
  const crc = Number(crcLine);
  if (!/^\d+$/.test(crcLine)) throw new Error(`the second line is not a CRC32 ("${crcLine.slice(0, 40)}")`);
  if (crc !== 0 && crc !== zlib.crc32(entryLines(entries))) throw new Error('its CRC32 does not match its entries');
  return entries;
}

/** The file, else its `.bak` (the previous version); a missing file is an empty list; both corrupt is refused naming the file. */
function readEntries(disk: Disk, file: string): EpochEntry[] {
  const problems: string[] = [];
  for (const candidate of [file, `${file}.bak`]) {
    if (!disk.exists(candidate)) continue;
    try {
      return parseEpochFile(disk.readFile(candidate).toString('utf8'));
    } catch (error) {
      problems.push(`${candidate}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error(`the epoch file cannot be read: ${problems.join('; ')}`);
  return [];
}
