/**
 * RocketMQ remoting frames (docs/rocketmq-semantics.md#remoting-frames, R/protocol/RemotingCommand.java).
 *
 *   0        4                 8                8+H             4+L
 *   +--------+--------+--------+----------------+---------------+
 *   | L (BE) | type(1)| H (24) | header         | body (opaque) |
 *   +--------+--------+--------+----------------+---------------+
 *   L = 4 + H + B, not counting itself. type 0 = JSON, 1 = ROCKETMQ binary (R/protocol/RocketMQSerializable.java).
 *   Zeroloss's own requests are JSON; a response goes in the type of its request (createResponse).
 *
 * The decoder refuses a frame whose declared length is impossible before buffering it, a header
 * word of another type or a header that does not fit the frame before buffering the header, and a
 * header that does not parse (JSON: an object with an integer code and opaque; binary: every length
 * inside the header) before buffering the body. Any of these errors ends that connection only.
 */
import { StreamDecoder } from './stream-decoder.js';
import { LanguageCode, MAX_FRAME_LENGTH, RemotingFlag, SerializeType } from './codes.js';
import { ZerolossError } from '../errors/errors.js';

export interface RemotingCommand {
  code: number;
  language: string;
  version: number;
  opaque: number;
  flag: number;
  remark?: string;
  /** Java sends strings; ali-ons sends raw JSON numbers and booleans: read with the ext* helpers */
  extFields?: Record<string, string | number | boolean | null>;
  body?: Buffer;
  /** how the header travels: set by the decoder for ROCKETMQ binary, copied by createResponse; absent = JSON */
  serializeType?: SerializeType;
}

const FRAME_PREFIX = 4;
const HEADER_LENGTH_FIELD = 4;
const MAX_HEADER_LENGTH = 0xffffff;
/** A leftover partial frame is copied out of a joined buffer at least this large (see FrameDecoder.drain). */
const COMPACT_ABOVE_BYTES = 1024 * 1024;

let nextOpaque = 1;
export function newOpaque(): number {
  nextOpaque = nextOpaque >= 0x7fffffff ? 1 : nextOpaque + 1;
  return nextOpaque;
}

/**
 * Starts the opaque sequence again, as a new process does. The simulator calls it at the start of
 * each run: an opaque is part of every frame's header, so its digits change the frames' lengths, and
 * a run must not depend on how many requests the runs before it in the same worker made.
 */
export function resetOpaqueSequence(): void {
  nextOpaque = 1;
}

export function isResponse(command: RemotingCommand): boolean {
  return (command.flag & RemotingFlag.RESPONSE) !== 0;
}
export function isOneway(command: RemotingCommand): boolean {
  return (command.flag & RemotingFlag.ONEWAY) !== 0;
}

export function createRequest(code: number, extFields: Record<string, string | number | boolean> = {}, body?: Buffer): RemotingCommand {
  return { code, language: 'JAVA', version: 433, opaque: newOpaque(), flag: 0, extFields: stringifyFields(extFields), body };
}

/** A response in the serialization of its request (as NettyRemotingAbstract's setSerializeTypeCurrentRPC). */
export function createResponse(request: RemotingCommand, code: number, options: { remark?: string; extFields?: Record<string, string | number | boolean>; body?: Buffer } = {}): RemotingCommand {
  const response: RemotingCommand = {
    code,
    language: 'JAVA',
    version: request.version,
    opaque: request.opaque,
    flag: RemotingFlag.RESPONSE,
    remark: options.remark,
    extFields: options.extFields ? stringifyFields(options.extFields) : undefined,
    body: options.body,
  };
  if (request.serializeType === SerializeType.ROCKETMQ) response.serializeType = SerializeType.ROCKETMQ;
  return response;
}

function stringifyFields(fields: Record<string, string | number | boolean>): Record<string, string> {
  const out: Record<string, string> = {};
  // for-in over a literal's own fields: Object.entries' arrays were a fortieth of a simulated run
  for (const k in fields) out[k] = String(fields[k]);
  return out;
}

/**
 * The JSON header, byte for byte what JSON.stringify gave for the object
 * { code, language, version, opaque, flag, serializeTypeCurrentRPC: 'JSON', remark?, extFields? }
 * (that key order; test/fixtures/remoting/*-json.hex hold it), written as one string without
 * building that object per command.
 */
function jsonHeader(command: RemotingCommand): string {
  const language = command.language === 'JAVA' ? '"JAVA"' : JSON.stringify(command.language);
  let text = `{"code":${jsonNumber(command.code)},"language":${language},"version":${jsonNumber(command.version)},"opaque":${jsonNumber(command.opaque)},"flag":${jsonNumber(command.flag)},"serializeTypeCurrentRPC":"JSON"`;
  if (command.remark !== undefined) text += `,"remark":${JSON.stringify(command.remark)}`;
  if (command.extFields !== undefined) text += `,"extFields":${JSON.stringify(command.extFields)}`;
  return text + '}';
}
/** JSON.stringify of a number: the same digits as String, null for NaN and the infinities. */
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

export function encodeCommand(command: RemotingCommand): Buffer {
  if (command.serializeType === SerializeType.ROCKETMQ) return encodeBinaryCommand(command);
  const header = jsonHeader(command);
  const headerLength = Buffer.byteLength(header, 'utf8');
  const bodyLength = command.body?.length ?? 0;
  const frame = Buffer.allocUnsafe(FRAME_PREFIX + HEADER_LENGTH_FIELD + headerLength + bodyLength);
  frame.writeInt32BE(HEADER_LENGTH_FIELD + headerLength + bodyLength, 0);
  frame.writeUInt32BE(((SerializeType.JSON << 24) | headerLength) >>> 0, 4);
  // an all-ASCII header (byte length = string length) is written byte per char: the same bytes, one pass less
  if (headerLength === header.length) frame.write(header, 8, 'latin1');
  else frame.write(header, 8, 'utf8');
  if (command.body) command.body.copy(frame, 8 + headerLength);
  return frame;
}

/**
 * ROCKETMQ binary header (RocketMQSerializable.rocketMQProtocolEncode), all big-endian:
 *   code int16 | language int8 (LanguageCode) | version int16 | opaque int32 | flag int32
 *   | remark length int32, UTF-8 (0 and nothing for an absent or empty remark)
 *   | extFields length int32, then per entry: key length int16, key, value length int32, value
 *     (0 and nothing for absent or empty extFields; entries with a null value are left out, as Java does)
 */
const BINARY_FIXED_BYTES = 2 + 1 + 2 + 4 + 4;
const MAX_INT16 = 0x7fff;

function encodeBinaryCommand(command: RemotingCommand): Buffer {
  const remark = command.remark ? Buffer.from(command.remark, 'utf8') : undefined;
  const entries: Array<[Buffer, Buffer]> = [];
  let extLength = 0;
  for (const [key, value] of Object.entries(command.extFields ?? {})) {
    if (value === null || value === undefined) continue;
    const k = Buffer.from(key, 'utf8');
    if (k.length > MAX_INT16) throw new RangeError(`extFields key of ${k.length} bytes does not fit a ROCKETMQ header's int16 length`);
    const v = Buffer.from(String(value), 'utf8');
    entries.push([k, v]);
    extLength += 2 + k.length + 4 + v.length;
  }
  const headerLength = BINARY_FIXED_BYTES + 4 + (remark?.length ?? 0) + 4 + extLength;
  if (headerLength > MAX_HEADER_LENGTH) throw new RangeError(`ROCKETMQ header of ${headerLength} bytes exceeds the ${MAX_HEADER_LENGTH} a header-length word holds`);
  const bodyLength = command.body?.length ?? 0;
  const frame = Buffer.allocUnsafe(FRAME_PREFIX + HEADER_LENGTH_FIELD + headerLength + bodyLength);
  frame.writeInt32BE(HEADER_LENGTH_FIELD + headerLength + bodyLength, 0);
  frame.writeUInt32BE(((SerializeType.ROCKETMQ << 24) | headerLength) >>> 0, 4);
  let at = 8;
  at = frame.writeInt16BE(command.code, at); // RangeError outside int16: Java's (short) cast would wrap it silently
  at = frame.writeInt8(languageCodeOf(command.language), at);
  at = frame.writeInt16BE(command.version, at);
  at = frame.writeInt32BE(command.opaque, at);
  at = frame.writeInt32BE(command.flag, at);
  at = frame.writeInt32BE(remark?.length ?? 0, at);
  if (remark) at += remark.copy(frame, at);
  at = frame.writeInt32BE(extLength, at);
  for (const [k, v] of entries) {
    at = frame.writeInt16BE(k.length, at);
    at += k.copy(frame, at);
    at = frame.writeInt32BE(v.length, at);
    at += v.copy(frame, at);
  }
  if (command.body) command.body.copy(frame, at);
  return frame;
}

/** LanguageCode names by their byte; a byte past the table reads as OTHER. */
const LANGUAGE_NAMES: readonly string[] = Object.entries(LanguageCode).sort((a, b) => a[1] - b[1]).map(([name]) => name);
function languageCodeOf(name: string): number {
  return Object.hasOwn(LanguageCode, name) ? LanguageCode[name as keyof typeof LanguageCode] : LanguageCode.OTHER;
}

/** Decodes one complete frame (without its 4-byte length prefix). Throws FRAME_MALFORMED. */
export function decodeFrameContent(content: Buffer): RemotingCommand {
  if (content.length < HEADER_LENGTH_FIELD) throw new ZerolossError('FRAME_MALFORMED', `frame of ${content.length} bytes is shorter than its header-length field`);
  const word = content.readUInt32BE(0);
  const headerLength = checkHeaderLengthWord(word, content.length);
  const command = parseHeader(content, HEADER_LENGTH_FIELD, HEADER_LENGTH_FIELD + headerLength, word >>> 24);
  return withBody(command, content.subarray(HEADER_LENGTH_FIELD + headerLength));
}

/** The header length in the word after the length prefix, refused unless JSON or ROCKETMQ and inside the frame of `frameLength`. */
function checkHeaderLengthWord(word: number, frameLength: number): number {
  const serializeType = word >>> 24;
  const headerLength = word & MAX_HEADER_LENGTH;
  if (serializeType !== SerializeType.JSON && serializeType !== SerializeType.ROCKETMQ) {
    throw new ZerolossError('FRAME_MALFORMED', `header serialization type ${serializeType} is not supported (JSON 0 or ROCKETMQ 1)`);
  }
  if (headerLength > frameLength - HEADER_LENGTH_FIELD) {
    throw new ZerolossError('FRAME_MALFORMED', `header length ${headerLength} exceeds the frame's ${frameLength - HEADER_LENGTH_FIELD} bytes`);
  }
  return headerLength;
}

/** The header in bytes [start, end) decoded: the command, its body still to be set by withBody. */
function parseHeader(bytes: Buffer, start: number, end: number, serializeType: number): RemotingCommand {
  return serializeType === SerializeType.ROCKETMQ ? parseBinaryHeader(bytes.subarray(start, end)) : parseJsonHeader(bytes, start, end);
}

function parseJsonHeader(bytes: Buffer, start: number, end: number): RemotingCommand {
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', start, end));
  } catch (cause) {
    throw new ZerolossError('FRAME_MALFORMED', 'header is not valid JSON', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ZerolossError('FRAME_MALFORMED', 'header is not a JSON object');
  const h = header as Record<string, unknown>;
  if (!Number.isSafeInteger(h.code)) throw new ZerolossError('FRAME_MALFORMED', 'header field code is not an integer');
  if (!Number.isSafeInteger(h.opaque)) throw new ZerolossError('FRAME_MALFORMED', 'header field opaque is not an integer');
  if (h.extFields !== undefined && h.extFields !== null && (typeof h.extFields !== 'object' || Array.isArray(h.extFields))) {
    throw new ZerolossError('FRAME_MALFORMED', 'header field extFields is not an object');
  }
  return {
    code: h.code as number,
    language: typeof h.language === 'string' ? h.language : 'JAVA',
    version: Number.isSafeInteger(h.version) ? (h.version as number) : 0,
    opaque: h.opaque as number,
    flag: Number.isSafeInteger(h.flag) ? (h.flag as number) : 0,
    remark: typeof h.remark === 'string' ? h.remark : undefined,
    extFields: (h.extFields ?? undefined) as RemotingCommand['extFields'],
    body: undefined,
  };
}

/**
 * A ROCKETMQ binary header (layout at encodeBinaryCommand). Stricter than Java's decoder, which
 * checks a length only against the whole header, treats a negative one as absent and ignores bytes
 * after the extFields: here every length must fit the bytes that remain and the header must end
 * where the extFields end. A zero-length remark or extFields reads as absent (Java: null), an empty
 * value as '' (Java 4.x; 5.x reads null), an unknown language byte as OTHER.
 */
function parseBinaryHeader(bytes: Buffer): RemotingCommand {
  const malformed = (what: string) => new ZerolossError('FRAME_MALFORMED', `ROCKETMQ header: ${what}`);
  if (bytes.length < BINARY_FIXED_BYTES + 4 + 4) throw malformed(`${bytes.length} bytes, shorter than the ${BINARY_FIXED_BYTES + 8} of its fixed fields`);
  const end = bytes.length;
  /** a length field's value, refused when negative or past `limit` bytes */
  const length = (value: number, what: string, limit: number): number => {
    if (value < 0) throw malformed(`${what} ${value} is negative`);
    if (value > limit) throw malformed(`${what} ${value} exceeds the ${limit} bytes left`);
    return value;
  };
  let at = BINARY_FIXED_BYTES;
  const remarkLength = length(bytes.readInt32BE(at), 'remark length', end - at - 4 - 4);
  at += 4;
  const remark = remarkLength > 0 ? bytes.toString('utf8', at, at + remarkLength) : undefined;
  at += remarkLength;
  const extLength = length(bytes.readInt32BE(at), 'extFields length', end - at - 4);
  at += 4;
  if (at + extLength !== end) throw malformed(`${end - at - extLength} bytes after the extFields`);
  let extFields: Record<string, string> | undefined;
  while (at < end) {
    if (end - at < 2) throw malformed(`extFields entry cut short: ${end - at} byte where a key length goes`);
    const keyLength = length(bytes.readInt16BE(at), 'extFields key length', end - at - 2 - 4);
    at += 2;
    const key = bytes.toString('utf8', at, at + keyLength);
    at += keyLength;
    const valueLength = length(bytes.readInt32BE(at), `extFields value length of ${JSON.stringify(key)}`, end - at - 4);
    at += 4;
    extFields ??= {};
    // defineProperty: a key named __proto__ is an own field, as JSON.parse makes it
    Object.defineProperty(extFields, key, { value: bytes.toString('utf8', at, at + valueLength), enumerable: true, writable: true, configurable: true });
    at += valueLength;
  }
  return {
    code: bytes.readInt16BE(0),
    language: LANGUAGE_NAMES[bytes.readUInt8(2)] ?? 'OTHER',
    version: bytes.readInt16BE(3),
    opaque: bytes.readInt32BE(5),
    flag: bytes.readInt32BE(9),
    remark,
    extFields,
    body: undefined,
    serializeType: SerializeType.ROCKETMQ,
  };
}

/**
 * Sets the body of a freshly parsed header. The frame is a view into the decoder's buffer (see
 * StreamDecoder.take): into the socket chunk it arrived in, or into one Buffer.concat of the chunks
 * it spanned. A body that is most of that allocation (a large send, or a small frame in Node's
 * shared 8 KiB pool) is kept as a view: copying it would only double the bytes. A body that is a
 * small part of a large allocation (one frame of many in a 64 KiB read, or a frame at the front of
 * a joined buffer) is copied, so that keeping the message (a pending send, a held half message)
 * does not keep the whole allocation alive.
 */
function withBody(command: RemotingCommand, body: Buffer): RemotingCommand {
  if (body.length > 0) command.body = body.buffer.byteLength <= 2 * body.length + Buffer.poolSize ? body : Buffer.from(body);
  return command;
}

/**
 * Stream decoder: feed it socket chunks, get whole commands. Bounded: everything about a frame
 * that can be checked is checked as soon as its bytes are in, before the rest is buffered:
 *   4 bytes     the length: under the minimum → FRAME_MALFORMED, over maxFrameLength → FRAME_TOO_LARGE;
 *   8 bytes     the serialization type (JSON or ROCKETMQ) and the header length (inside the frame);
 *   8+H bytes   the header: a JSON object with an integer code and opaque, or a binary header whose
 *               lengths all fit;
 * and only then is the body waited for. It never holds more than one frame's 4 + maxFrameLength
 * bytes beyond the chunk being pushed. The only error it throws is a ZerolossError FRAME_MALFORMED or
 * FRAME_TOO_LARGE; after one, the stream is unusable: the decoder drops what it held and throws the
 * same error again on every push (the caller closes the connection).
 */
export class FrameDecoder extends StreamDecoder<RemotingCommand, ZerolossError> {
  /** the current frame's length once its prefix is read, -1 before */
  private frameLength = -1;
  /** the current frame's header once read */
  private header: RemotingCommand | undefined;
  private headerLength = -1;
  private serializeType = -1;

  /** `bufferedBytes` is at most 4 + maxFrameLength once a push has returned */
  constructor(private readonly maxFrameLength = MAX_FRAME_LENGTH) {
    super();
  }

  protected asFailure(error: unknown): ZerolossError {
    return error instanceof ZerolossError ? error : new ZerolossError('FRAME_MALFORMED', `frame could not be decoded: ${(error as Error).message}`, { cause: error });
  }

  protected drain(): RemotingCommand[] {
    const out: RemotingCommand[] = [];
    for (;;) {
      if (this.frameLength < 0) {
        if (this.available < FRAME_PREFIX) break;
        const length = this.peekUInt32BE(0) | 0;
        if (length < HEADER_LENGTH_FIELD) throw new ZerolossError('FRAME_MALFORMED', `frame length ${length} is below the minimum of ${HEADER_LENGTH_FIELD}`);
        if (length > this.maxFrameLength) throw new ZerolossError('FRAME_TOO_LARGE', `frame length ${length} exceeds the limit of ${this.maxFrameLength} bytes`);
        this.frameLength = length;
      }
      if (this.headerLength < 0) {
        if (this.available < FRAME_PREFIX + HEADER_LENGTH_FIELD) break;
        const word = this.peekUInt32BE(FRAME_PREFIX);
        this.headerLength = checkHeaderLengthWord(word, this.frameLength);
        this.serializeType = word >>> 24;
      }
      const bodyStart = FRAME_PREFIX + HEADER_LENGTH_FIELD + this.headerLength;
      if (this.header === undefined) {
        if (this.available < bodyStart) break;
        this.header = parseHeader(this.peek(bodyStart), FRAME_PREFIX + HEADER_LENGTH_FIELD, bodyStart, this.serializeType);
      }
      if (this.available < FRAME_PREFIX + this.frameLength) break;
      const frame = this.take(FRAME_PREFIX + this.frameLength);
      out.push(withBody(this.header, frame.subarray(bodyStart)));
      this.frameLength = -1;
      this.headerLength = -1;
      this.header = undefined;
    }
    this.releaseLargeBacking(COMPACT_ABOVE_BYTES);
    return out;
  }
}

/** extFields readers that accept Java's strings and ali-ons's raw numbers and booleans. */
export function extString(command: RemotingCommand, key: string): string | undefined {
  const v = command.extFields?.[key];
  return v === undefined || v === null ? undefined : String(v);
}
export function extNumber(command: RemotingCommand, key: string): number | undefined {
  const v = command.extFields?.[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
export function extBoolean(command: RemotingCommand, key: string): boolean | undefined {
  const v = command.extFields?.[key];
  if (v === undefined || v === null) return undefined;
  return v === true || v === 'true';
}
