/**
 * RocketMQ remoting frames (client-compat.md §2.1–2.2, R/protocol/RemotingCommand.java).
 *
 *   0        4                 8                8+H             4+L
 *   +--------+--------+--------+----------------+---------------+
 *   | L (BE) | type(1)| H (24) | header (JSON)  | body (opaque) |
 *   +--------+--------+--------+----------------+---------------+
 *   L = 4 + H + B, not counting itself. type 0 = JSON (all Zeroloss writes), 1 = ROCKETMQ binary.
 *
 * The decoder refuses a frame whose declared length is impossible before buffering it, and
 * refuses a header that is not a JSON object with a numeric code and opaque. Either error ends
 * that connection only.
 */
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
  const word = content.readUInt32BE(0);
  const serializeType = word >>> 24;
  const headerLength = word & MAX_HEADER_LENGTH;
  if (serializeType !== SerializeType.JSON) {
    throw new ZerolossError('FRAME_MALFORMED', `header serialization type ${serializeType} is not supported (only JSON, 0)`);
  }
  if (headerLength > content.length - HEADER_LENGTH_FIELD) {
    throw new ZerolossError('FRAME_MALFORMED', `header length ${headerLength} exceeds the frame's ${content.length - HEADER_LENGTH_FIELD} bytes`);
  }
  let header: unknown;
  try {
    header = JSON.parse(content.toString('utf8', HEADER_LENGTH_FIELD, HEADER_LENGTH_FIELD + headerLength));
  } catch (cause) {
    throw new ZerolossError('FRAME_MALFORMED', 'header is not valid JSON', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ZerolossError('FRAME_MALFORMED', 'header is not a JSON object');
  const h = header as Record<string, unknown>;
  if (!Number.isInteger(h.code)) throw new ZerolossError('FRAME_MALFORMED', 'header field code is not an integer');
  if (!Number.isInteger(h.opaque)) throw new ZerolossError('FRAME_MALFORMED', 'header field opaque is not an integer');
  if (h.extFields !== undefined && h.extFields !== null && (typeof h.extFields !== 'object' || Array.isArray(h.extFields))) {
    throw new ZerolossError('FRAME_MALFORMED', 'header field extFields is not an object');
  }
  const bodyStart = HEADER_LENGTH_FIELD + headerLength;
  return {
    code: h.code as number,
    language: typeof h.language === 'string' ? h.language : 'JAVA',
    version: Number.isInteger(h.version) ? (h.version as number) : 0,
    opaque: h.opaque as number,
    flag: Number.isInteger(h.flag) ? (h.flag as number) : 0,
    remark: typeof h.remark === 'string' ? h.remark : undefined,
    extFields: (h.extFields ?? undefined) as RemotingCommand['extFields'],
    body: content.length > bodyStart ? Buffer.from(content.subarray(bodyStart)) : undefined,
  };
}

/**
 * Stream decoder: feed it socket chunks, get whole commands. Bounded: a declared frame length
 * over maxFrameLength (or under the minimum) throws FRAME_TOO_LARGE / FRAME_MALFORMED before
 * any of that frame is buffered.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameLength = MAX_FRAME_LENGTH) {}

  push(chunk: Buffer): RemotingCommand[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: RemotingCommand[] = [];
    for (;;) {
      if (this.buffered < FRAME_PREFIX) break;
      const head = this.peek(FRAME_PREFIX);
      const length = head.readInt32BE(0);
      if (length < HEADER_LENGTH_FIELD) throw new ZerolossError('FRAME_MALFORMED', `frame length ${length} is below the minimum of ${HEADER_LENGTH_FIELD}`);
      if (length > this.maxFrameLength) throw new ZerolossError('FRAME_TOO_LARGE', `frame length ${length} exceeds the limit of ${this.maxFrameLength} bytes`);
      if (this.buffered < FRAME_PREFIX + length) break;
      const frame = this.take(FRAME_PREFIX + length);
      out.push(decodeFrameContent(frame.subarray(FRAME_PREFIX)));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
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
