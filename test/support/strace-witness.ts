/**
 * An independent witness of the power cut. The broker's file layer grades its own cut (it keeps
 * what its own bookkeeping says fdatasync covered); this module does not trust it. It reads what
 * strace saw the broker's threads do to the store's files, builds its own model of each file (its
 * size and bytes as written, and its durable size and bytes: the state at the START of the latest
 * fdatasync/fsync on it that COMPLETED before the cut), and compares that with what is on disk after
 * the cut and with the broker's cut report.
 *
 * Ordering rules, all conservative: a write counts at its exit line (one that returns after an
 * fdatasync's entry line is not covered by it, even if the kernel may have covered it); an fdatasync
 * counts at its exit line and only if that line precedes the cut (the broker's stderr line saying the
 * cut strikes, a synchronous write made just before the cut's first syscall; the powerLoss order
 * arrives earlier, and the broker waits for its worst moment before it cuts). Directory entries are not modelled: a file the trace saw created
 * exists, a renamed file keeps its state, an unlinked one is gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { POWER_CUT_STRIKES } from '../../broker/ipc';
import { decodeString, fdPath, iovecs, knownPrefix, type Syscall } from './strace-trace';

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/** A change to a file's bytes or size; `data` may be shorter than `length` (strace cut it). */
type FileOp = ({ kind: 'write'; offset: number; length: number; data: Buffer } | { kind: 'resize'; length: number }) & { line: number };

export interface SyncRecord {
  file: ModelFile;
  entryLine: number;
  exitLine: number;
  /** completed with 0 before the cut */
  durable: boolean;
  sizeAtEntry: number;
  opsAtEntry: number;
}

export interface ModelFile {
  path: string;
  /** created in the trace (otherwise it existed before and its first bytes are unknown) */
  created: boolean;
  ops: FileOp[];
  /** size as written (post-cut writes included, the cut's own truncations not) */
  size: number;
  syncs: SyncRecord[];
  /** the latest-starting fdatasync that completed before the cut */
  durableSync?: SyncRecord;
  /** size as written at the cut */
  sizeAtCut: number;
}

export interface TraceModel {
  storeDir: string;
  /** line of the cut (the broker's "power cut strikes" stderr write); Infinity if none was seen */
  cutLine: number;
  /** files alive at the cut, by path */
  files: Map<string, ModelFile>;
  /** every fdatasync/fsync on a store file, in entry order */
  syncs: SyncRecord[];
  /** truncations after the cut: the file layer's own cut */
  cutActions: { path: string; length: number }[];
  /** things the witness could not follow; each is a reason to distrust the verdict */
  blind: string[];
}

export interface BuildOptions {
  storeDir: string;
  /** the broker's working directory, for relative paths */
  cwd?: string;
  isCut?: (call: Syscall) => boolean;
}

/** The broker's write to stderr (fd 2) announcing the cut; -x may print the text in hex. */
const isPowerCutStrike = (call: Syscall) =>
  call.name === 'write' && call.args[0]?.startsWith('2<') === true && call.args[1] !== undefined && decodeString(call.args[1]).bytes.includes(POWER_CUT_STRIKES);

/** Replays the trace into a model of every file under `storeDir`. */
export function buildModel(calls: Syscall[], options: BuildOptions): TraceModel {
  const storeDir = options.storeDir.replace(/\/+$/, '');
  const inStore = (p: string | undefined): p is string => p !== undefined && p.startsWith(`${storeDir}/`);
  const isCut = options.isCut ?? isPowerCutStrike;
  const cutLine = calls.find((c) => c.ret !== null && c.ret >= 0 && isCut(c))?.exitLine ?? Infinity;
  const model: TraceModel = { storeDir, cutLine, files: new Map(), syncs: [], cutActions: [], blind: [] };
  if (cutLine === Infinity) model.blind.push('the cut (the broker\'s "power cut strikes" line) is not in the trace');
  const positions = new Map<number, number>();
  let afterCut = false;
  const fileAt = (p: string): ModelFile => {
    let file = model.files.get(p);
    if (!file) {
      file = { path: p, created: false, ops: [], size: 0, syncs: [], sizeAtCut: 0 };
      model.files.set(p, file);
      model.blind.push(afterCut ? `${p} was first written after the cut` : `${p} existed before the trace started`);
    }
    return file;
  };
  // Syncs take their snapshot at their entry line, everything else acts at its exit line.
  const points: { line: number; call: Syscall; entry: boolean }[] = [];
  for (const call of calls) {
    if (call.name === 'io_uring_setup' && call.ret !== null && call.ret >= 0) model.blind.push('the broker set up an io_uring (its file I/O is invisible to strace)');
    if (call.name === 'fdatasync' || call.name === 'fsync') points.push({ line: call.entryLine, call, entry: true });
    if (call.exitLine !== Infinity) points.push({ line: call.exitLine, call, entry: false });
  }
  points.sort((a, b) => a.line - b.line || Number(b.entry) - Number(a.entry));
  const snapshots = new Map<Syscall, SyncRecord>();
  for (const { line, call, entry } of points) {
    const p = fdPath(call.args[0]);
    if (entry) {
      const file = inStore(p) ? model.files.get(p) : undefined;
      if (!file) continue; // a directory, or a file outside the store
      const record: SyncRecord = { file, entryLine: call.entryLine, exitLine: call.exitLine, durable: false, sizeAtEntry: file.size, opsAtEntry: file.ops.length };
      snapshots.set(call, record);
      file.syncs.push(record);
      model.syncs.push(record);
      continue;
    }
    if (line === cutLine) for (const f of model.files.values()) f.sizeAtCut = f.size;
    if (call.ret === null || call.ret < 0) continue;
    afterCut = line > cutLine;
    HANDLERS[call.name]?.(call, { model, inStore, fileAt, positions, afterCut, line, cwd: options.cwd ?? '/', snapshots });
  }
  if (cutLine === Infinity) for (const f of model.files.values()) f.sizeAtCut = f.size;
  return model;
}

interface ApplyContext {
  model: TraceModel;
  inStore: (p: string | undefined) => p is string;
  fileAt: (p: string) => ModelFile;
  /** file position of each open fd, for write() */
  positions: Map<number, number>;
  afterCut: boolean;
  line: number;
  cwd: string;
  snapshots: Map<Syscall, SyncRecord>;
}

type Handler = (call: Syscall, ctx: ApplyContext) => void;

const fdOf = (arg: string | undefined) => Number.parseInt(arg ?? '', 10);
const pathArg = (ctx: ApplyContext, dirArg: string | undefined, nameArg: string | undefined) =>
  path.resolve(fdPath(dirArg) ?? ctx.cwd, decodeString(nameArg ?? '""').bytes.toString('utf8'));

function recordWrite(ctx: ApplyContext, file: ModelFile, offset: number, length: number, data: Buffer): void {
  file.ops.push({ kind: 'write', offset, length, data: data.subarray(0, length), line: ctx.line });
  file.size = Math.max(file.size, offset + length);
}

const applyOpen: Handler = (call, ctx) => {
  const flags = call.name === 'creat' ? 'O_CREAT|O_TRUNC' : call.args[call.name === 'open' ? 1 : 2] ?? '';
  const target = call.retPath ?? (call.name === 'openat' ? pathArg(ctx, call.args[0], call.args[1]) : pathArg(ctx, undefined, call.args[0]));
  if (!ctx.inStore(target)) return;
  ctx.positions.set(call.ret!, 0);
  if (ctx.afterCut) return; // the cut opening files to truncate them
  let file = ctx.model.files.get(target);
  if (!file && flags.includes('O_CREAT')) {
    file = { path: target, created: true, ops: [], size: 0, syncs: [], sizeAtCut: 0 };
    ctx.model.files.set(target, file);
  }
  if (file && flags.includes('O_TRUNC')) {
    file.ops.push({ kind: 'resize', length: 0, line: ctx.line });
    file.size = 0;
  }
  if (file && flags.includes('O_APPEND')) ctx.model.blind.push(`${target} opened O_APPEND`);
};

const applyWrite: Handler = (call, ctx) => {
  const p = fdPath(call.args[0]);
  if (!ctx.inStore(p)) return;
  const fd = fdOf(call.args[0]);
  const positional = call.name.startsWith('p');
  const offset = positional ? Number(call.args[3]) : ctx.positions.get(fd);
  if (offset === undefined || Number.isNaN(offset)) {
    ctx.model.blind.push(`${call.name} to ${p} at an unknown position`);
    return;
  }
  const data = call.name === 'write' || call.name === 'pwrite64' ? decodeString(call.args[1]!).bytes : knownPrefix(iovecs(call.args[1]!));
  if (!positional) ctx.positions.set(fd, offset + call.ret!);
  recordWrite(ctx, ctx.fileAt(p), offset, call.ret!, data);
};

/** copy_file_range and sendfile copy in the kernel: the size is known, the bytes are not. */
const applyCopy: Handler = (call, ctx) => {
  const outArg = call.args[call.name === 'sendfile' ? 0 : 2];
  const out = fdPath(outArg);
  if (!ctx.inStore(out)) return;
  const explicit = call.name === 'copy_file_range' ? /^\[(\d+)\]$/.exec(call.args[3] ?? '')?.[1] : undefined;
  const offset = explicit !== undefined ? Number(explicit) : ctx.positions.get(fdOf(outArg)) ?? 0;
  if (explicit === undefined) ctx.positions.set(fdOf(outArg), offset + call.ret!);
  recordWrite(ctx, ctx.fileAt(out), offset, call.ret!, Buffer.alloc(0));
};

/** After the cut, truncations are the file layer's own cut: recorded, not applied. */
const applyResize: Handler = (call, ctx) => {
  const target = call.name === 'truncate' ? pathArg(ctx, undefined, call.args[0]) : fdPath(call.args[0]);
  if (!ctx.inStore(target)) return;
  if (call.name === 'fallocate') {
    ctx.model.blind.push(`fallocate on ${target}`);
    return;
  }
  const length = Number(call.args[1]);
  if (ctx.afterCut) {
    ctx.model.cutActions.push({ path: target, length });
    return;
  }
  const file = ctx.fileAt(target);
  file.ops.push({ kind: 'resize', length, line: ctx.line });
  file.size = length;
};

/** A completed fdatasync makes durable the state its entry captured; the latest-starting one wins. */
const applySync: Handler = (call, ctx) => {
  const record = ctx.snapshots.get(call);
  if (!record || call.ret !== 0 || ctx.afterCut) return;
  record.durable = true;
  const file = record.file;
  if (!file.durableSync || record.entryLine > file.durableSync.entryLine) file.durableSync = record;
};

const applyRename: Handler = (call, ctx) => {
  const [from, to] = call.name === 'rename'
    ? [pathArg(ctx, undefined, call.args[0]), pathArg(ctx, undefined, call.args[1])]
    : [pathArg(ctx, call.args[0], call.args[1]), pathArg(ctx, call.args[2], call.args[3])];
  if (ctx.afterCut && (ctx.inStore(from) || ctx.inStore(to))) ctx.model.blind.push(`rename after the cut: ${from} -> ${to}`);
  const file = ctx.model.files.get(from);
  ctx.model.files.delete(from);
  ctx.model.files.delete(to);
  if (file && ctx.inStore(to)) ctx.model.files.set(to, Object.assign(file, { path: to }));
};

const applyUnlink: Handler = (call, ctx) => {
  const target = call.name === 'unlink' ? pathArg(ctx, undefined, call.args[0]) : pathArg(ctx, call.args[0], call.args[1]);
  if (ctx.afterCut && ctx.inStore(target)) ctx.model.blind.push(`unlink after the cut: ${target}`);
  ctx.model.files.delete(target);
};

const HANDLERS: Record<string, Handler> = {
  open: applyOpen, openat: applyOpen, creat: applyOpen,
  close: (call, ctx) => void ctx.positions.delete(fdOf(call.args[0])),
  lseek: (call, ctx) => void ctx.positions.set(fdOf(call.args[0]), call.ret!),
  write: applyWrite, pwrite64: applyWrite, writev: applyWrite, pwritev: applyWrite, pwritev2: applyWrite,
  copy_file_range: applyCopy, sendfile: applyCopy,
  ftruncate: applyResize, truncate: applyResize, fallocate: applyResize,
  fdatasync: applySync, fsync: applySync,
  rename: applyRename, renameat: applyRename, renameat2: applyRename,
  unlink: applyUnlink, unlinkat: applyUnlink,
};

// ---------------------------------------------------------------------------------------------
// The verdict
// ---------------------------------------------------------------------------------------------

/** One entry of the broker's cut report ({type:'powerCut', cut}); `durable` when the layer gives it. */
export interface CutReportEntry {
  path: string;
  lostBytes: number;
  durable?: number;
}

export interface FileVerdict {
  path: string;
  /** size as written, before the cut */
  written: number;
  /** the witness's durable size: the size at the start of the latest fdatasync completed before the cut */
  durable: number;
  /** the least the layer must keep: what fdatasyncs it has surely seen complete covered */
  floor: number;
  /** the size on disk after the cut; null when the file is gone */
  kept: number | null;
  /** bytes whose content was compared with what fdatasync covered */
  contentChecked: number;
}

export interface Verdict {
  files: FileVerdict[];
  /** a non-empty list is a failed cut (or a witness that could not see) */
  violations: string[];
  /** shortfalls on files outside `mustNotLose` */
  notes: string[];
}

export interface JudgeOptions {
  /**
   * Files whose fdatasyncs are issued one at a time, each after the previous one's result was taken
   * (a MappedFileQueue's flush chain), keyed by group; only these get a floor.
   */
  serializedGroup?: (filePath: string) => string | undefined;
  /** files whose durable bytes the cut must not take back (a shortfall is a violation, not a note) */
  mustNotLose?: (filePath: string) => boolean;
}

const segmentQueueDir = (p: string) => (/\/(commitlog|consumequeue\/[^/]+\/[^/]+)\/[^/]+$/.test(p) ? path.dirname(p) : undefined);
const isCommitLog = (p: string) => /\/commitlog\/[^/]+$/.test(p);

/** Every regular file under `dir`, with its bytes. */
export function readStoreFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.set(path.join(entry.parentPath, entry.name), fs.readFileSync(path.join(entry.parentPath, entry.name)));
  }
  return out;
}

/** Compares what the file layer kept (disk after the cut, and its report) with the model. */
export function judgeCut(model: TraceModel, disk: Map<string, Buffer>, report: CutReportEntry[], options: JudgeOptions = {}): Verdict {
  const mustNotLose = options.mustNotLose ?? isCommitLog;
  const floors = computeFloors(model, options.serializedGroup ?? segmentQueueDir);
  const verdict: Verdict = { files: [], violations: model.blind.map((b) => `the witness is blind: ${b}`), notes: floors.notes };
  const rel = (p: string) => path.relative(model.storeDir, p);
  const reported = new Map(report.map((e) => [e.path, e]));
  for (const file of model.files.values()) {
    const bytes = disk.get(file.path);
    const durable = file.durableSync?.sizeAtEntry ?? 0;
    const floor = Math.min(floors.byFile.get(file) ?? 0, file.size);
    const kept = bytes ? bytes.length : null;
    const fv: FileVerdict = { path: file.path, written: file.size, durable, floor, kept, contentChecked: 0 };
    verdict.files.push(fv);
    const short = (what: string) => (mustNotLose(file.path) ? verdict.violations : verdict.notes).push(`${rel(file.path)}: ${what}`);
    if (kept === null) {
      if (floor > 0) short(`gone after the cut, though fdatasync had covered ${floor} bytes of it`);
    } else {
      if (kept > durable) verdict.violations.push(`${rel(file.path)}: kept ${kept} bytes, but fdatasync covered only ${durable}: ${kept - durable} bytes survived that a power cut may lose`);
      if (kept < floor) short(`kept ${kept} bytes, but fdatasync had covered ${floor} (and the file layer had seen it complete)`);
      const diff = compareContent(file, bytes!);
      fv.contentChecked = diff.checked;
      if (diff.differing > 0) verdict.violations.push(`${rel(file.path)}: ${diff.differing} bytes from offset ${diff.first} differ from what fdatasync covered: an unsynced overwrite survived the cut`);
    }
    const entry = reported.get(file.path);
    reported.delete(file.path);
    const lost = file.size - (kept ?? 0);
    if (lost > 0 && !entry) verdict.violations.push(`${rel(file.path)}: the cut took ${lost} bytes, the cut report does not name the file`);
    if (entry && entry.lostBytes !== lost) verdict.violations.push(`${rel(file.path)}: the cut report says ${entry.lostBytes} bytes lost, the trace and the disk say ${lost}`);
    if (entry?.durable !== undefined && entry.durable !== kept) verdict.violations.push(`${rel(file.path)}: the cut report says ${entry.durable} bytes durable, ${kept} are on disk`);
  }
  for (const p of reported.keys()) verdict.violations.push(`the cut report names ${rel(p)}, which the trace does not show alive at the cut`);
  for (const p of disk.keys()) {
    if (!model.files.has(p)) verdict.violations.push(`${rel(p)} is on disk after the cut, but the trace never saw it written`);
  }
  return verdict;
}

/**
 * The floor of each file. In a serialized group the layer dispatches fdatasync k+1 only after it
 * took the result of fdatasync k, so every sync but the last one entered before the cut has been
 * seen complete; the layer counts it durable up to its size at dispatch, which is at least the
 * file's size when the group's previous sync returned (appends only grow a file).
 */
function computeFloors(model: TraceModel, groupOf: (p: string) => string | undefined): { byFile: Map<ModelFile, number>; notes: string[] } {
  const byFile = new Map<ModelFile, number>();
  const notes: string[] = [];
  const groups = new Map<string, SyncRecord[]>();
  for (const sync of model.syncs) {
    const group = groupOf(sync.file.path);
    if (group === undefined || sync.entryLine > model.cutLine) continue;
    groups.set(group, [...(groups.get(group) ?? []), sync]);
  }
  for (const [group, seq] of groups) {
    for (let j = 0; j + 1 < seq.length; j++) {
      const sync = seq[j]!;
      if (!sync.durable || sync.exitLine > seq[j + 1]!.entryLine) {
        notes.push(`${path.relative(model.storeDir, group)}: fdatasyncs overlap or failed; no floor past line ${sync.entryLine + 1}`);
        break;
      }
      const atPrevious = j === 0 ? 0 : sizeAtLine(sync.file, seq[j - 1]!.exitLine);
      byFile.set(sync.file, Math.max(byFile.get(sync.file) ?? 0, Math.min(atPrevious, sync.sizeAtEntry)));
    }
  }
  return { byFile, notes };
}

function sizeAtLine(file: ModelFile, line: number): number {
  let size = 0;
  for (const op of file.ops) {
    if (op.line > line) break;
    size = op.kind === 'resize' ? op.length : Math.max(size, op.offset + op.length);
  }
  return size;
}

/** Replays the ops an fdatasync covered and compares the kept bytes where the trace knows them. */
function compareContent(file: ModelFile, kept: Buffer): { checked: number; differing: number; first: number } {
  const sync = file.durableSync;
  if (!sync) return { checked: 0, differing: 0, first: -1 };
  let image = Buffer.alloc(0);
  let known = new Uint8Array(0);
  const grow = (length: number) => {
    const next = Buffer.alloc(length);
    const nextKnown = new Uint8Array(length).fill(1, Math.min(image.length, length)); // ftruncate's zeroes are known
    image.copy(next, 0, 0, Math.min(image.length, length));
    nextKnown.set(known.subarray(0, Math.min(known.length, length)));
    image = next;
    known = nextKnown;
  };
  for (const op of file.ops.slice(0, sync.opsAtEntry)) {
    if (op.kind === 'resize') grow(op.length);
    else {
      if (op.offset + op.length > image.length) grow(op.offset + op.length);
      known.fill(0, op.offset, op.offset + op.length);
      op.data.copy(image, op.offset);
      known.fill(1, op.offset, op.offset + op.data.length);
    }
  }
  let checked = 0;
  let differing = 0;
  let first = -1;
  for (let i = 0; i < Math.min(kept.length, image.length); i++) {
    if (!known[i]) continue;
    checked++;
    if (kept[i] !== image[i]) {
      differing++;
      if (first < 0) first = i;
    }
  }
  return { checked, differing, first };
}
