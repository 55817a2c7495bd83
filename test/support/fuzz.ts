/**
 * Seeded hostile input for the remoting and replication decoders, shared by the unit fuzz test, the
 * integration fuzz test and the long run (test/fuzz/fuzz-broker.ts). Everything is a function of the
 * seed: a failing case is replayed by its seed and index.
 *
 * Each generated case carries what a correct decoder must do with it, worked out here by a small,
 * separate reference parser (not by the decoder under test): where in the stream the decoder has
 * enough bytes to refuse the stream, or that it never refuses it.
 */
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { MAX_FRAME_LENGTH, RequestCode, SerializeType } from '../../broker/protocol/codes';
import { FrameDecoder, createRequest, encodeCommand, type RemotingCommand } from '../../broker/protocol/remoting-command';
import { HA_BODY_BYTES_MAX, HA_HEADER_BYTES, HA_OFFSET_MAX, encodeReport, encodeTransferHeader } from '../../broker/ha/ha-protocol';
import { mulberry32 } from '../../broker/io/prng';

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------

/** The project's seeded generator (broker/io/prng.ts) with the helpers the fuzzers pick mutations with. */
export class Rng {
  /** uniform in [0, 2^32) */
  readonly nextU32: () => number;

  constructor(seed: number) {
    this.nextU32 = mulberry32(seed);
  }

  /** uniform in [0, 1) */
  next(): number {
    return this.nextU32() / 2 ** 32;
  }

  /** an integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** an integer in [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.nextU32() & 0xff;
    return out;
  }

  /** a length skewed towards small values: most 0..64, some up to max */
  size(max: number): number {
    const r = this.next();
    if (r < 0.6) return this.int(Math.min(max, 64) + 1);
    if (r < 0.9) return this.int(Math.min(max, 4096) + 1);
    return this.int(max + 1);
  }
}

/** Splits `data` into random chunks (some of one byte, some large), as TCP may deliver it. */
export function randomChunks(rng: Rng, data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const mode = rng.int(4);
    const n = mode === 0 ? 1 : mode === 1 ? rng.range(1, 16) : mode === 2 ? rng.range(1, 512) : rng.range(1, 64 * 1024);
    chunks.push(data.subarray(at, Math.min(data.length, at + n)));
    at += n;
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Remoting frames
// ---------------------------------------------------------------------------------------------

/**
 * Request codes a fuzzed frame may carry when it decodes: reads and codes nobody handles. A
 * mutation that turns a frame into any other request (a config change, a topic creation, a send,
 * a promotion) is regenerated, so a fuzz run tests the wire, not what a random admin request does.
 */
export const SAFE_REQUEST_CODES: readonly number[] = [
  RequestCode.GET_BROKER_CONFIG,
  RequestCode.GET_BROKER_RUNTIME_INFO,
  RequestCode.GET_MAX_OFFSET,
  RequestCode.GET_MIN_OFFSET,
  RequestCode.GET_BROKER_HA_STATUS,
  9999,
  0,
  -1,
];
const safeCodes = new Set(SAFE_REQUEST_CODES);

function randomText(rng: Rng, n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789%_-:.';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  if (rng.chance(0.1)) s += String.fromCharCode(rng.range(0x80, 0xffff)); // non-ASCII
  return s;
}

export function randomCommand(rng: Rng): RemotingCommand {
  const extFields: Record<string, string> = {};
  const fields = rng.int(6);
  for (let i = 0; i < fields; i++) extFields[randomText(rng, rng.range(1, 12))] = randomText(rng, rng.size(200));
  const command: RemotingCommand = {
    code: rng.pick(SAFE_REQUEST_CODES),
    language: rng.pick(['JAVA', 'NODE', 'GO']),
    version: rng.int(500),
    opaque: rng.int(0x7fffffff),
    flag: rng.pick([0, 0, 0, 2]),
    extFields: rng.chance(0.8) ? extFields : undefined,
  };
  if (rng.chance(0.3)) command.remark = randomText(rng, rng.size(100));
  if (rng.chance(0.5)) command.body = rng.bytes(rng.size(8192));
  if (rng.chance(0.25)) command.serializeType = SerializeType.ROCKETMQ;
  return command;
}

/** Hostile header texts: not JSON, not an object, fields of the wrong type, deep nesting. */
function hostileHeader(rng: Rng): Buffer {
  const texts = [
    '',
    '{',
    'null',
    '[1,2,3]',
    '"code"',
    '{"code":"10","opaque":1}',
    '{"code":10.5,"opaque":1}',
    '{"code":1e400,"opaque":1}',
    '{"code":9999}',
    '{"opaque":1}',
    '{"code":9999,"opaque":1,"extFields":[1]}',
    '{"code":9999,"opaque":1,"extFields":"x"}',
    '{"code":9999,"opaque":99999999999999999999}',
    '{"code":9999,"opaque":1}\u0000garbage',
    '['.repeat(rng.range(1, 100_000)),
    '{"a":'.repeat(rng.range(1, 20_000)),
    `{"code":9999,"opaque":1,"remark":"${'\\u'.repeat(rng.range(1, 50))}"}`,
  ];
  return Buffer.from(rng.pick(texts), 'utf8');
}

function frameWithHeader(header: Buffer, body: Buffer, serializeType: number = SerializeType.JSON): Buffer {
  const frame = Buffer.alloc(8 + header.length + body.length);
  frame.writeInt32BE(4 + header.length + body.length, 0);
  frame.writeUInt32BE(((serializeType << 24) | header.length) >>> 0, 4);
  header.copy(frame, 8);
  body.copy(frame, 8 + header.length);
  return frame;
}

/** One frame mutated by one or more of: bit flips, byte overwrites, truncation, rewritten lengths. */
function mutateFrame(rng: Rng, frame: Buffer, maxFrameLength: number): { bytes: Buffer; kind: string } {
  let bytes: Buffer = Buffer.from(frame);
  const kinds: string[] = [];
  const rounds = rng.range(1, 3);
  for (let r = 0; r < rounds; r++) {
    switch (rng.int(8)) {
      case 0: {
        const flips = rng.range(1, 8);
        for (let i = 0; i < flips && bytes.length > 0; i++) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
        kinds.push('bitflip');
        break;
      }
      case 1: {
        // a flip inside the 8 header bytes, where it matters most
        for (let i = 0; i < rng.range(1, 3) && bytes.length >= 8; i++) bytes[rng.int(8)]! ^= 1 << rng.int(8);
        kinds.push('bitflip-prefix');
        break;
      }
      case 2:
        bytes = bytes.subarray(0, rng.int(bytes.length));
        kinds.push('truncate');
        break;
      case 3:
        if (bytes.length >= 4) {
          bytes.writeInt32BE(rng.pick([0, 1, 3, 4, -1, -0x80000000, 0x7fffffff, maxFrameLength, maxFrameLength + 1, bytes.length - 4 + rng.range(-16, 16), rng.nextU32() | 0]), 0);
          kinds.push('length');
        }
        break;
      case 4:
        if (bytes.length >= 8) {
          const type = rng.pick([0, 0, 1, 2, 0xff]);
          const headerLength = rng.pick([0, 1, 0xffffff, rng.int(0x1000000), (bytes.readUInt32BE(4) & 0xffffff) + rng.range(-8, 8)]) & 0xffffff;
          bytes.writeUInt32BE(((type << 24) | headerLength) >>> 0, 4);
          kinds.push('header-length');
        }
        break;
      case 5: {
        // overwrite a run of bytes inside the header JSON with JSON-ish punctuation or random bytes
        const headerLength = bytes.length >= 8 ? bytes.readUInt32BE(4) & 0xffffff : 0;
        const end = Math.min(bytes.length, 8 + headerLength);
        if (end > 8) {
          const at = rng.range(8, end - 1);
          const n = Math.min(end - at, rng.range(1, 8));
          for (let i = 0; i < n; i++) bytes[at + i] = rng.chance(0.5) ? rng.pick([...'{}[]":,\\0-9e']).charCodeAt(0) : rng.nextU32() & 0xff;
          kinds.push('header-json');
        }
        break;
      }
      case 6:
        bytes = frameWithHeader(hostileHeader(rng), rng.bytes(rng.size(256)));
        kinds.push('hostile-header');
        break;
      default:
        bytes = Buffer.concat([bytes, rng.bytes(rng.size(64))]);
        kinds.push('trailing-garbage');
    }
  }
  return { bytes, kind: kinds.join('+') };
}

/**
 * What a correct FrameDecoder does with `stream` fed whole: the commands it returns, and, if it
 * refuses the stream, how many bytes it needs to see before it can (the end of the first field that
 * is wrong: 4 for the length, 8 for the header word, 8 + header length for the header JSON).
 */
export interface RemotingVerdict {
  commands: number;
  codes: number[];
  /** commands a server answers: neither the response nor the oneway flag set */
  answered: number;
  /** null: never refused (whole, or waiting for more bytes) */
  refuseAt: number | null;
  refusal?: 'FRAME_TOO_LARGE' | 'FRAME_MALFORMED';
  /** bytes of an unfinished frame at the end */
  leftover: number;
}

export function referenceRemotingVerdict(stream: Buffer, maxFrameLength = MAX_FRAME_LENGTH): RemotingVerdict {
  const codes: number[] = [];
  let answered = 0;
  let at = 0;
  const refuse = (end: number, refusal: RemotingVerdict['refusal']): RemotingVerdict => ({ commands: codes.length, codes, answered, refuseAt: end, refusal, leftover: 0 });
  const waiting = (): RemotingVerdict => ({ commands: codes.length, codes, answered, refuseAt: null, leftover: stream.length - at });
  for (;;) {
    if (stream.length - at < 4) return waiting();
    const length = stream.readInt32BE(at);
    if (length < 4) return refuse(at + 4, 'FRAME_MALFORMED');
    if (length > maxFrameLength) return refuse(at + 4, 'FRAME_TOO_LARGE');
    if (stream.length - at < 8) return waiting();
    const word = stream.readUInt32BE(at + 4);
    const headerLength = word & 0xffffff;
    if ((word >>> 24 !== SerializeType.JSON && word >>> 24 !== SerializeType.ROCKETMQ) || headerLength > length - 4) return refuse(at + 8, 'FRAME_MALFORMED');
    if (stream.length - at < 8 + headerLength) return waiting();
    if (word >>> 24 === SerializeType.ROCKETMQ) {
      const binary = referenceBinaryHeader(stream.subarray(at + 8, at + 8 + headerLength));
      if (binary === null) return refuse(at + 8 + headerLength, 'FRAME_MALFORMED');
      if (stream.length - at < 4 + length) return waiting();
      codes.push(binary.code);
      if ((binary.flag & 3) === 0) answered++;
      at += 4 + length;
      continue;
    }
    let header: unknown;
    try {
      header = JSON.parse(stream.toString('utf8', at + 8, at + 8 + headerLength));
    } catch {
      return refuse(at + 8 + headerLength, 'FRAME_MALFORMED');
    }
    const h = header as Record<string, unknown> | null;
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(h) || !Number.isSafeInteger(h!.code) || !Number.isSafeInteger(h!.opaque)) return refuse(at + 8 + headerLength, 'FRAME_MALFORMED');
    if (h!.extFields !== undefined && h!.extFields !== null && !isObject(h!.extFields)) return refuse(at + 8 + headerLength, 'FRAME_MALFORMED');
    if (stream.length - at < 4 + length) return waiting();
    codes.push(h!.code as number);
    const flag = Number.isSafeInteger(h!.flag) ? (h!.flag as number) : 0;
    if ((flag & 3) === 0) answered++;
    at += 4 + length;
  }
}

/**
 * A ROCKETMQ binary header's code and flag, or null if a length in it is negative or runs past the
 * header, or bytes follow the extFields (R/protocol/RocketMQSerializable.java; fixed part 13 bytes).
 */
function referenceBinaryHeader(h: Buffer): { code: number; flag: number } | null {
  let left = h.length - 13;
  if (left < 8) return null;
  const remark = h.readInt32BE(13);
  left -= 4;
  if (remark < 0 || remark > left - 4) return null;
  left -= remark;
  const ext = h.readInt32BE(h.length - left);
  left -= 4;
  if (ext !== left) return null;
  while (left > 0) {
    if (left < 6) return null;
    const key = h.readInt16BE(h.length - left);
    left -= 2;
    if (key < 0 || key > left - 4) return null;
    left -= key;
    const value = h.readInt32BE(h.length - left);
    left -= 4;
    if (value < 0 || value > left) return null;
    left -= value;
  }
  return { code: h.readInt16BE(0), flag: h.readInt32BE(9) };
}

export interface RemotingCase {
  kind: string;
  bytes: Buffer;
  verdict: RemotingVerdict;
}

/**
 * One hostile connection's bytes: fully random bytes, one or more valid frames of which some are
 * mutated, huge or impossible length prefixes, or a valid stream. Regenerated until every request it
 * carries that would reach a processor has a code in SAFE_REQUEST_CODES.
 */
export function remotingCase(rng: Rng, maxFrameLength = MAX_FRAME_LENGTH): RemotingCase {
  for (;;) {
    const { bytes, kind } = remotingBytes(rng, maxFrameLength);
    const verdict = referenceRemotingVerdict(bytes, maxFrameLength);
    if (verdict.codes.every((code) => safeCodes.has(code))) return { kind, bytes, verdict };
  }
}

function remotingBytes(rng: Rng, maxFrameLength: number): { bytes: Buffer; kind: string } {
  const r = rng.next();
  if (r < 0.15) return { bytes: rng.bytes(rng.range(1, 2048)), kind: 'random' };
  if (r < 0.22) {
    // an oversized or impossible length prefix, then a little of what it announces
    const head = Buffer.alloc(8);
    head.writeInt32BE(rng.pick([0x7fffffff, -1, -0x80000000, maxFrameLength + 1, maxFrameLength + rng.range(2, 1 << 30), 0, 3]), 0);
    head.writeUInt32BE(rng.nextU32(), 4);
    return { bytes: Buffer.concat([head, rng.bytes(rng.size(4096))]), kind: 'huge-length' };
  }
  if (r < 0.27) {
    // a plausible length (up to the limit) announced, little sent: the broker must wait, not allocate it
    const frame = encodeCommand(randomCommand(rng));
    frame.writeInt32BE(rng.range(frame.length, maxFrameLength), 0);
    return { bytes: frame, kind: 'short-of-length' };
  }
  const frames = Array.from({ length: rng.range(1, 4) }, () => encodeCommand(randomCommand(rng)));
  if (r < 0.35) return { bytes: Buffer.concat(frames), kind: 'valid' };
  const victim = rng.int(frames.length);
  const mutated = mutateFrame(rng, frames[victim]!, maxFrameLength);
  frames[victim] = mutated.bytes;
  return { bytes: Buffer.concat(frames), kind: `mutated:${mutated.kind}` };
}

// ---------------------------------------------------------------------------------------------
// HA: slave → master reports, master → slave transfers
// ---------------------------------------------------------------------------------------------

/** A 64-bit word that is not a commit-log offset: negative or beyond 2^53. */
function garbageOffsetWord(rng: Rng): Buffer {
  const word = rng.bytes(8);
  if (rng.chance(0.5)) word[0] = word[0]! | 0x80; // negative
  else word[0] = (word[0]! & 0x7f) | 0x01; // ≥ 2^56 > 2^53
  return word;
}

function validOffset(rng: Rng): number {
  return rng.pick([0, rng.int(1 << 20), rng.int(2 ** 40), HA_OFFSET_MAX, rng.int(HA_OFFSET_MAX)]);
}

/** What a correct ReportDecoder does with a stream fed whole. */
export function referenceReportVerdict(stream: Buffer): { reports: number; refuseAt: number | null } {
  let reports = 0;
  for (let at = 0; at + 8 <= stream.length; at += 8) {
    const v = stream.readBigInt64BE(at);
    if (v < 0n || v > BigInt(HA_OFFSET_MAX)) return { reports, refuseAt: at + 8 };
    reports++;
  }
  return { reports, refuseAt: null };
}

/** A slave's stream, honest or not: valid reports, garbage words, random bytes, cut words. */
export function reportStream(rng: Rng): Buffer {
  const parts: Buffer[] = [];
  const n = rng.range(1, 6);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.5) parts.push(encodeReport(validOffset(rng)));
    else if (r < 0.7) parts.push(garbageOffsetWord(rng));
    else if (r < 0.85) parts.push(rng.bytes(rng.range(1, 64)));
    else parts.push(encodeReport(validOffset(rng)).subarray(0, rng.range(1, 7)));
  }
  return Buffer.concat(parts);
}

/** What a correct TransferDecoder does with a stream fed whole. */
export function referenceTransferVerdict(stream: Buffer, bodyBytesMax = HA_BODY_BYTES_MAX): { frames: number; refuseAt: number | null } {
  let frames = 0;
  let at = 0;
  while (stream.length - at >= 12) {
    const offset = stream.readBigInt64BE(at);
    const bodySize = stream.readInt32BE(at + 8);
    if (offset < 0n || offset > BigInt(HA_OFFSET_MAX) || bodySize < 0 || bodySize > bodyBytesMax) return { frames, refuseAt: at + 12 };
    if (stream.length - at - 12 < bodySize) break;
    frames++;
    at += 12 + bodySize;
  }
  return { frames, refuseAt: null };
}

/** A master's stream, honest or not: frames and heartbeats, some with mutated headers. */
export function transferStream(rng: Rng, bodyBytesMax = HA_BODY_BYTES_MAX): Buffer {
  if (rng.chance(0.1)) return rng.bytes(rng.range(1, 2048));
  const parts: Buffer[] = [];
  const n = rng.range(1, 5);
  for (let i = 0; i < n; i++) {
    const body = rng.bytes(rng.size(4096));
    const frame = Buffer.concat([encodeTransferHeader(validOffset(rng), body.length), body]);
    if (rng.chance(0.3)) {
      switch (rng.int(4)) {
        case 0:
          frame[rng.int(12)]! ^= 1 << rng.int(8);
          break;
        case 1:
          frame.writeInt32BE(rng.pick([-1, -0x80000000, bodyBytesMax + 1, 0x7fffffff, rng.nextU32() | 0]), 8);
          break;
        case 2:
          garbageOffsetWord(rng).copy(frame, 0);
          break;
        default:
          parts.push(frame.subarray(0, rng.int(frame.length)));
          continue;
      }
    }
    parts.push(frame);
  }
  return Buffer.concat(parts);
}

/**
 * A hostile connection to a master's HA port, built so that the master must close it: its first
 * word is not an offset; or it claims a log far beyond the master's (divergence); or it starts as a
 * slave at 0 and then sends garbage, or acks bytes never shipped. `expect` says which.
 */
export interface HaCase {
  kind: 'garbage-first' | 'diverged' | 'garbage-later' | 'ack-beyond' | 'random';
  bytes: Buffer;
}

export function haMasterCase(rng: Rng): HaCase {
  switch (rng.int(5)) {
    case 0:
      return { kind: 'garbage-first', bytes: Buffer.concat([garbageOffsetWord(rng), rng.bytes(rng.size(256))]) };
    case 1:
      return { kind: 'diverged', bytes: encodeReport(2 ** 40 + rng.int(2 ** 40)) };
    case 2:
      return { kind: 'garbage-later', bytes: Buffer.concat([encodeReport(0), garbageOffsetWord(rng), rng.bytes(rng.size(64))]) };
    case 3:
      return { kind: 'ack-beyond', bytes: Buffer.concat([encodeReport(0), encodeReport(2 ** 40 + rng.int(2 ** 40))]) };
    default: {
      const bytes = rng.bytes(rng.range(8, 4096));
      garbageOffsetWord(rng).copy(bytes, 0);
      return { kind: 'random', bytes };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Driving a real broker: one hostile connection at a time
// ---------------------------------------------------------------------------------------------

export interface ConnectionOutcome {
  /** the broker closed the connection (we never ended it) */
  closedByBroker: boolean;
  /** the broker did not close a connection it had to close within the timeout */
  timedOut: boolean;
  /** answers received (remoting: whole response frames) */
  answers: number;
  /** ms from the last byte written to the close */
  closeMs: number;
}

/** VmRSS of a process in bytes, from /proc/<pid>/status (Linux). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Writes `chunks` to host:port, with an event-loop turn between some of them, and then:
 *  - when `mustClose`, waits up to timeoutMs for the peer to close (the outcome says if it did);
 *  - otherwise waits for `answers` response frames (timeoutMs), then ends the connection itself.
 * With `read: false` nothing is read until 20 ms after the last write.
 */
export function driveConnection(
  port: number,
  chunks: Buffer[],
  options: { mustClose: boolean; answers?: number; timeoutMs: number; rng: Rng; read?: boolean },
): Promise<ConnectionOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    let answers = 0;
    let endedByUs = false;
    let timedOut = false;
    let lastWriteAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const wantAnswers = options.answers ?? 0;
    const finishIfAnswered = () => {
      if (!options.mustClose && answers >= wantAnswers && !endedByUs && lastWriteAt > 0) {
        endedByUs = true;
        socket.end();
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (options.mustClose) return;
      try {
        answers += decoder.push(chunk).length;
      } catch {
        answers = -1_000_000; // the broker sent something that is not a frame: the caller's check fails
      }
      finishIfAnswered();
    });
    if (options.read === false) socket.pause();
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedByBroker: !endedByUs, timedOut, answers, closeMs: lastWriteAt > 0 ? performance.now() - lastWriteAt : 0 });
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) break;
        socket.write(chunk);
        if (options.rng.chance(0.2)) await new Promise((r) => setImmediate(r));
      }
      lastWriteAt = performance.now();
      // A peer that does not read until it has written everything (and then a little longer).
      if (options.read === false) setTimeout(() => socket.resume(), 20);
      timer = setTimeout(() => {
        timedOut = true;
        endedByUs = true;
        socket.destroy();
      }, options.timeoutMs);
      finishIfAnswered();
    });
  });
}

/**
 * A well-behaved client on one TCP connection, opened before a fuzz run: after it, the same
 * connection must still send a message and answer a request.
 */
export class SteadyClient {
  private readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, (command: RemotingCommand) => void>();
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const command of this.decoder.push(chunk)) {
        this.pending.get(command.opaque)?.(command);
        this.pending.delete(command.opaque);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static connect(port: number): Promise<SteadyClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new SteadyClient(socket)));
      socket.once('error', reject);
    });
  }

  request(code: number, extFields: Record<string, string> = {}, body?: Buffer, timeoutMs = 10_000): Promise<RemotingCommand> {
    const command = createRequest(code, extFields, body);
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('the steady connection was closed'));
      const timer = setTimeout(() => reject(new Error(`no answer to request code ${code} in ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(command.opaque, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.socket.write(encodeCommand(command));
    });
  }

  /** SEND_MESSAGE_V2 of one message to queue 0 of `topic` (the fields a producer sends). */
  send(topic: string, body: Buffer): Promise<RemotingCommand> {
    return this.request(RequestCode.SEND_MESSAGE_V2, {
      a: 'fuzz-steady', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: '', j: '0', k: 'false',
    }, body);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Mixes a run seed and a case index into the case's own seed (cases replay alone, in any order). */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

export interface FuzzTally {
  connections: number;
  frames: number;
  /** connections the broker had to close, and closed */
  refused: number;
  /** the slowest of those closes, ms after the last byte written */
  slowestCloseMs: number;
  /** cases where the broker did something else, labelled for replay */
  failures: string[];
}

export function emptyTally(): FuzzTally {
  return { connections: 0, frames: 0, refused: 0, slowestCloseMs: 0, failures: [] };
}

/** One seeded hostile connection to the broker's remoting port; adds to `tally`. */
export async function fuzzRemotingConnection(port: number, seed: number, index: number, tally: FuzzTally, timeoutMs = 5000): Promise<void> {
  const rng = new Rng(caseSeed(seed, index));
  const c = remotingCase(rng);
  const mustClose = c.verdict.refuseAt !== null;
  const chunks = randomChunks(rng, c.bytes);
  const outcome = await driveConnection(port, chunks, { mustClose, answers: c.verdict.answered, timeoutMs, rng, read: !mustClose || rng.chance(0.7) });
  tally.connections++;
  tally.frames += c.verdict.commands + (mustClose || c.verdict.leftover > 0 ? 1 : 0);
  const label = `remoting seed ${seed} case ${index} (${c.kind})`;
  if (mustClose) {
    if (outcome.closedByBroker && !outcome.timedOut) {
      tally.refused++;
      tally.slowestCloseMs = Math.max(tally.slowestCloseMs, outcome.closeMs);
    } else {
      tally.failures.push(`${label}: the broker did not close a connection after ${c.verdict.refusal}`);
    }
  } else if (outcome.closedByBroker || outcome.timedOut || outcome.answers !== c.verdict.answered) {
    tally.failures.push(`${label}: a stream with no bad frame: closedByBroker=${outcome.closedByBroker} timedOut=${outcome.timedOut} answers ${outcome.answers}/${c.verdict.answered}`);
  }
}

/** One seeded hostile connection to a master's HA port, which the master must close; adds to `tally`. */
export async function fuzzHaConnection(haPort: number, seed: number, index: number, tally: FuzzTally, timeoutMs = 5000): Promise<void> {
  const rng = new Rng(caseSeed(seed, index) ^ 0x4a4a);
  const c = haMasterCase(rng);
  const outcome = await driveConnection(haPort, randomChunks(rng, c.bytes), { mustClose: true, timeoutMs, rng, read: true });
  tally.connections++;
  tally.frames += c.kind === 'garbage-later' || c.kind === 'ack-beyond' ? 2 : 1;
  if (outcome.closedByBroker && !outcome.timedOut) {
    tally.refused++;
    tally.slowestCloseMs = Math.max(tally.slowestCloseMs, outcome.closeMs);
  } else {
    tally.failures.push(`ha seed ${seed} case ${index} (${c.kind}): the master did not close the connection`);
  }
}

/** Runs `count` cases through `run`, `concurrency` at a time, in index order. */
export async function runPool(count: number, concurrency: number, run: (index: number) => Promise<void>, from = 0): Promise<void> {
  let next = from;
  const end = from + count;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < end) await run(next++);
  }));
}

/**
 * A hostile master's stream for a real slave at offset 0, built so that the slave must close the
 * link without appending a byte: the first header is garbage (offset or body size), or the first
 * frame ships from an offset other than 0 (divergence).
 */
export function haSlaveCase(rng: Rng): { kind: 'garbage-header' | 'diverged'; bytes: Buffer } {
  for (;;) {
    const bytes = transferStream(rng);
    const verdict = referenceTransferVerdict(bytes);
    if (verdict.refuseAt === HA_HEADER_BYTES) return { kind: 'garbage-header', bytes };
    if (verdict.refuseAt === null && verdict.frames > 0 && bytes.readBigInt64BE(0) !== 0n) return { kind: 'diverged', bytes };
  }
}
