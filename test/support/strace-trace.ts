/**
 * Reading strace's output for the power-cut witness (strace-witness.ts): the command line that
 * traces the broker, and a parser that turns `strace -f -ttt -y -x` lines into one record per
 * syscall, joining the `<unfinished ...>` and `<... resumed>` halves that -f prints when threads
 * interleave. Strings are decoded to the bytes the broker passed.
 */

/** Every syscall that can change a file's bytes, size, name or durability; `write` also carries the cut marker (to stderr). */
export const TRACED_SYSCALLS = [
  'open', 'openat', 'creat', 'close', 'lseek', 'write', 'pwrite64', 'writev', 'pwritev', 'pwritev2',
  'fdatasync', 'fsync', 'ftruncate', 'truncate', 'fallocate', 'rename', 'renameat', 'renameat2',
  'unlink', 'unlinkat', 'copy_file_range', 'sendfile', 'kill', 'io_uring_setup',
] as const;
/** strace prints at most this many bytes of each buffer; longer writes have an unknown tail. */
export const TRACE_DATA_BYTES_MAX = 1 << 20;

/** The argv prefix that runs a command under strace, writing the trace to `traceFile`. */
export function straceCommand(traceFile: string, strace = '/usr/bin/strace'): string[] {
  // -f: fdatasync runs on libuv's pool threads; --seccomp-bpf stops only on the traced syscalls;
  // -y prints each fd's path; -x hex-escapes binary data; io_uring would hide file I/O from strace.
  return [strace, '-f', '--seccomp-bpf', '-ttt', '-y', '-x', '-s', String(TRACE_DATA_BYTES_MAX), '-o', traceFile,
    '-E', 'UV_USE_IO_URING=0', '-e', `trace=${TRACED_SYSCALLS.join(',')}`];
}

export interface Syscall {
  tid: number;
  name: string;
  /** top-level arguments as printed */
  args: string[];
  /** null when the call never returned (killed) or returned `?` */
  ret: number | null;
  /** the path strace decorated the returned fd with (openat) */
  retPath?: string;
  errno?: string;
  entryLine: number;
  /** Infinity when the call never returned */
  exitLine: number;
  entryTime: number;
}

const LINE = /^(?:\[pid\s+)?(\d+)\]?\s+(\d+\.\d+)\s+(.*)$/;
const RESUMED = /^<\.\.\. (\w+) resumed>\s?(.*)$/;
const UNFINISHED = /\s*<unfinished \.\.\.>$/;

/** Parses `strace -f -ttt -y` output, joining each `<unfinished ...>` line with its `resumed` line. */
export function parseTrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const pending = new Map<number, { name: string; head: string; line: number; time: number }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = LINE.exec(lines[i]!);
    if (!m) continue;
    const tid = Number(m[1]);
    const time = Number(m[2]);
    const rest = m[3]!;
    if (rest.startsWith('+++') || rest.startsWith('---')) continue;
    const resumed = RESUMED.exec(rest);
    if (resumed) {
      const head = pending.get(tid);
      if (!head || head.name !== resumed[1]) throw new Error(`trace line ${i + 1}: ${resumed[1]} resumed without its start`);
      pending.delete(tid);
      const joined = head.head.endsWith(',') ? `${head.head} ${resumed[2]}` : head.head + resumed[2]!;
      calls.push(parseCall(tid, joined, head.line, i, head.time));
      continue;
    }
    if (UNFINISHED.test(rest)) {
      const name = /^(\w+)\(/.exec(rest)?.[1];
      if (!name) throw new Error(`trace line ${i + 1}: unreadable: ${rest}`);
      pending.set(tid, { name, head: rest.replace(UNFINISHED, ''), line: i, time });
      continue;
    }
    if (/^\w+\(/.test(rest)) calls.push(parseCall(tid, rest, i, i, time));
  }
  // Calls cut short by the SIGKILL never completed.
  for (const [tid, head] of pending) calls.push({ ...parseCall(tid, `${head.head}) = ?`, head.line, Infinity, head.time) });
  return calls.sort((a, b) => a.exitLine - b.exitLine || a.entryLine - b.entryLine);
}

function parseCall(tid: number, text: string, entryLine: number, exitLine: number, entryTime: number): Syscall {
  const open = text.indexOf('(');
  const name = text.slice(0, open);
  const { args, end } = splitArgs(text, open + 1);
  const tail = text.slice(end + 1);
  const r = /^\s*=\s*(-?\d+|0x[0-9a-f]+|\?)(?:<((?:[^>\\]|\\.)*)>)?(?:\s+(E[A-Z0-9]+))?/.exec(tail);
  if (!r) throw new Error(`trace line ${entryLine + 1}: no return value in ${text.slice(0, 200)}`);
  const ret = r[1] === '?' ? null : Number(r[1]);
  return { tid, name, args, ret, retPath: r[2] === undefined ? undefined : unescapePath(r[2]), errno: r[3], entryLine, exitLine, entryTime };
}

/** Splits top-level arguments from `from` up to the matching `)`; strings and brackets nest. */
function splitArgs(text: string, from: number): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '<' && /[0-9A-Z_]/.test(text[i - 1] ?? '')) {
      for (i++; i < text.length && text[i] !== '>'; i++) if (text[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') || (c === ')' && depth > 0)) depth--;
    else if (c === ')' || (c === ',' && depth === 0)) {
      const arg = text.slice(start, i).trim();
      if (arg !== '' || c === ',') args.push(arg);
      start = i + 1;
      if (c === ')') return { args, end: i };
    }
  }
  throw new Error(`unterminated argument list: ${text.slice(0, 200)}`);
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '"': 34, '\\': 92 };

/** Decodes a C string literal as strace prints it; `truncated` when strace cut it short (`"..."...`). */
export function decodeString(arg: string): { bytes: Buffer; truncated: boolean } {
  const m = /^"((?:[^"\\]|\\.)*)"(\.\.\.)?$/s.exec(arg.trim());
  if (!m) throw new Error(`not a string argument: ${arg.slice(0, 80)}`);
  const body = m[1]!;
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const e = body[++i]!;
    if (e === 'x') {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(parseInt(oct, 8));
      i += oct.length - 1;
    } else if (e in SIMPLE_ESCAPES) out.push(SIMPLE_ESCAPES[e]!);
    else throw new Error(`unknown escape \\${e} in ${arg.slice(0, 80)}`);
  }
  return { bytes: Buffer.from(out), truncated: m[2] !== undefined };
}

function unescapePath(p: string): string {
  return decodeString(`"${p.replace(/"/g, '\\"')}"`).bytes.toString('utf8');
}

/** The path strace printed for an fd argument (`18</a/b>`), without a ` (deleted)` mark. */
export function fdPath(arg: string | undefined): string | undefined {
  const m = /^(?:-?\d+|AT_FDCWD)<((?:[^>\\]|\\.)*)>$/.exec(arg ?? '');
  return m ? unescapePath(m[1]!).replace(/ \(deleted\)$/, '') : undefined;
}

/** The bytes of a vectored write up to the first buffer strace printed only in part. */
export function knownPrefix(vectors: { bytes: Buffer; length: number }[]): Buffer {
  const known: Buffer[] = [];
  for (const v of vectors) {
    known.push(v.bytes.subarray(0, v.length));
    if (v.bytes.length < v.length) break;
  }
  return Buffer.concat(known);
}

/** `[{iov_base="ab", iov_len=2}, ...]` to its buffers (each possibly truncated by strace). */
export function iovecs(arg: string): { bytes: Buffer; truncated: boolean; length: number }[] {
  const { args } = splitArgs(`${arg.trim().slice(1, -1)})`, 0);
  return args.map((item) => {
    const { args: fields } = splitArgs(`${item.slice(1, -1)})`, 0);
    const base = fields.find((f) => f.startsWith('iov_base='))!.slice('iov_base='.length);
    const length = Number(fields.find((f) => f.startsWith('iov_len='))!.slice('iov_len='.length));
    return { ...decodeString(base), length };
  });
}
