/**
 * RocketMQ remoting frames (docs/rocketmq-semantics.md#remoting-frames, R/protocol/RemotingCommand.java).
 *
 *   0        4                 8                8+H             4+L
 *   +--------+--------+--------+----------------+---------------+
 *   | L (BE) | type(1)| H (24) | header (JSON)  | body (opaque) |
 *   +--------+--------+--------+----------------+---------------+
 *   L = 4 + H + B, not counting itself. type 0 = JSON (all Zeroloss writes), 1 = ROCKETMQ binary.
 *
 * The decoder refuses a frame whose declared length is impossible before buffering it, a header
 * word that is not JSON or does not fit the frame before buffering the header, and a header that is
 * not a JSON object with an integer code and opaque before buffering the body. Any of these errors
 * ends that connection only.
 */
import { StreamDecoder } from './stream-decoder.js';
import { MAX_FRAME_LENGTH, RemotingFlag, SerializeType } from './codes.js';
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

export function isResponse(command: RemotingCommand): boolean {
  return (command.flag & RemotingFlag.RESPONSE) !== 0;
}
export function isOneway(command: RemotingCommand): boolean {
  return (command.flag & RemotingFlag.ONEWAY) !== 0;
}

export function createRequest(code: number, extFields: Record<string, string | number | boolean> = {}, body?: Buffer): RemotingCommand {
  return { code, language: 'JAVA', version: 433, opaque: newOpaque(), flag: 0, extFields: stringifyFields(extFields), body };
}

export function createResponse(request: RemotingCommand, code: number, options: { remark?: string; extFields?: Record<string, string | number | boolean>; body?: Buffer } = {}): RemotingCommand {
  return {
    code,
    language: 'JAVA',
    version: request.version,
    opaque: request.opaque,
    flag: RemotingFlag.RESPONSE,
    remark: options.remark,
    extFields: options.extFields ? stringifyFields(options.extFields) : undefined,
    body: options.body,
  };
}

function stringifyFields(fields: Record<string, string | number | boolean>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = String(v);
  return out;
}

export function encodeCommand(command: RemotingCommand): Buffer {
  const header: Record<string, unknown> = {
    code: command.code,
    language: command.language,
    version: command.version,
    opaque: command.opaque,
    flag: command.flag,
    serializeTypeCurrentRPC: 'JSON',
  };
  if (command.remark !== undefined) header.remark = command.remark;
  if (command.extFields !== undefined) header.extFields = command.extFields;
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyLength = command.body?.length ?? 0;
  const frame = Buffer.allocUnsafe(FRAME_PREFIX + HEADER_LENGTH_FIELD + headerBytes.length + bodyLength);
  frame.writeInt32BE(HEADER_LENGTH_FIELD + headerBytes.length + bodyLength, 0);
  frame.writeUInt32BE(((SerializeType.JSON << 24) | headerBytes.length) >>> 0, 4);
  headerBytes.copy(frame, 8);
  if (command.body) command.body.copy(frame, 8 + headerBytes.length);
  return frame;
}

/** Decodes one complete frame (without its 4-byte length prefix). Throws FRAME_MALFORMED. */
export function decodeFrameContent(content: Buffer): RemotingCommand {
  if (content.length < HEADER_LENGTH_FIELD) throw new ZerolossError('FRAME_MALFORMED', `frame of ${content.length} bytes is shorter than its header-length field`);
  const headerLength = checkHeaderLengthWord(content.readUInt32BE(0), content.length);
  const header = parseHeader(content.subarray(HEADER_LENGTH_FIELD, HEADER_LENGTH_FIELD + headerLength));
  return withBody(header, content.subarray(HEADER_LENGTH_FIELD + headerLength));
}

/** The header length in the word after the length prefix, refused unless JSON and inside the frame of `frameLength`. */
function checkHeaderLengthWord(word: number, frameLength: number): number {
  const serializeType = word >>> 24;
  const headerLength = word & MAX_HEADER_LENGTH;
  if (serializeType !== SerializeType.JSON) {
    throw new ZerolossError('FRAME_MALFORMED', `header serialization type ${serializeType} is not supported (only JSON, 0)`);
  }
  if (headerLength > frameLength - HEADER_LENGTH_FIELD) {
    throw new ZerolossError('FRAME_MALFORMED', `header length ${headerLength} exceeds the frame's ${frameLength - HEADER_LENGTH_FIELD} bytes`);
  }
  return headerLength;
}

/** A decoded header: a command without its body. */
type CommandHeader = Omit<RemotingCommand, 'body'>;

function parseHeader(bytes: Buffer): CommandHeader {
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8'));
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
  };
}

function withBody(header: CommandHeader, body: Buffer): RemotingCommand {
  return { ...header, body: body.length > 0 ? Buffer.from(body) : undefined };
}

/**
 * Stream decoder: feed it socket chunks, get whole commands. Bounded: everything about a frame
 * that can be checked is checked as soon as its bytes are in, before the rest is buffered:
 *   4 bytes     the length: under the minimum → FRAME_MALFORMED, over maxFrameLength → FRAME_TOO_LARGE;
 *   8 bytes     the serialization type (JSON only) and the header length (inside the frame);
 *   8+H bytes   the header: a JSON object with an integer code and opaque;
 * and only then is the body waited for. It never holds more than one frame's 4 + maxFrameLength
 * bytes beyond the chunk being pushed. The only error it throws is a ZerolossError FRAME_MALFORMED or
 * FRAME_TOO_LARGE; after one, the stream is unusable: the decoder drops what it held and throws the
 * same error again on every push (the caller closes the connection).
 */
export class FrameDecoder extends StreamDecoder<RemotingCommand, ZerolossError> {
  /** the current frame's length once its prefix is read, -1 before */
  private frameLength = -1;
  /** the current frame's header once read */
  private header: CommandHeader | undefined;
  private headerLength = -1;

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
        const length = this.peek(FRAME_PREFIX).readInt32BE(0);
        if (length < HEADER_LENGTH_FIELD) throw new ZerolossError('FRAME_MALFORMED', `frame length ${length} is below the minimum of ${HEADER_LENGTH_FIELD}`);
        if (length > this.maxFrameLength) throw new ZerolossError('FRAME_TOO_LARGE', `frame length ${length} exceeds the limit of ${this.maxFrameLength} bytes`);
        this.frameLength = length;
      }
      if (this.headerLength < 0) {
        if (this.available < FRAME_PREFIX + HEADER_LENGTH_FIELD) break;
        this.headerLength = checkHeaderLengthWord(this.peek(FRAME_PREFIX + HEADER_LENGTH_FIELD).readUInt32BE(FRAME_PREFIX), this.frameLength);
      }
      const bodyStart = FRAME_PREFIX + HEADER_LENGTH_FIELD + this.headerLength;
      if (this.header === undefined) {
        if (this.available < bodyStart) break;
        this.header = parseHeader(this.peek(bodyStart).subarray(FRAME_PREFIX + HEADER_LENGTH_FIELD, bodyStart));
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
