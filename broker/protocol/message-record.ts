/**
 * RocketMQ's V1 commit-log record: encode a MessageInner, validate and decode a stored record,
 * walk a concatenation of records (the body of a PULL_MESSAGE response), the properties string,
 * offsetMsgId and Java's String.hashCode for tag hash codes (docs/rocketmq-semantics.md#record-layout, #message-ids).
 *
 * Owns the byte layout only: it assigns no offsets and touches no file. Every integer is big-endian.
 * Validation returns a status and never throws: a torn or corrupt record is an expected outcome of
 * recovery, not a bug.
 *
 * Hosts are IPv4 on encode (the v6 sysflag bits are cleared); decode also reads v6 hosts so a
 * record written by a stock broker with BORNHOST_V6 / STOREHOST_V6 still parses.
 */
import zlib from 'node:zlib';
import {
  BLANK_MAGIC_CODE,
  MESSAGE_MAGIC_CODE,
  MessageSysFlag,
  NAME_VALUE_SEPARATOR,
  PROPERTY_SEPARATOR,
} from './codes.js';
import type { HostAddress, MessageExt, MessageInner } from '../store/types.js';

/*
 * V1 record, IPv4 hosts (S/MessageExtEncoder.java calMsgLength, CM/message/MessageDecoder.java):
 *
 *   offset size field
 *   ------ ---- ----------------------------------------------------------
 *        0    4 TOTALSIZE          whole record, this field included
 *        4    4 MAGICCODE          0xDAA320A7 (V1)
 *        8    4 BODYCRC            crc32(body) & 0x7FFFFFFF
 *       12    4 QUEUEID
 *       16    4 FLAG               user flag
 *       20    8 QUEUEOFFSET        index in the consume queue
 *       28    8 PHYSICALOFFSET     commit-log offset of this record
 *       36    4 SYSFLAG
 *       40    8 BORNTIMESTAMP      producer ms
 *       48    8 BORNHOST           IPv4(4) + port(4)      (20 bytes when sysflag 0x10)
 *       56    8 STORETIMESTAMP     broker ms
 *       64    8 STOREHOST          IPv4(4) + port(4)      (20 bytes when sysflag 0x20)
 *       72    4 RECONSUMETIMES
 *       76    8 PREPARED TRANSACTION OFFSET
 *       84    4 BODY length, then the body bytes
 *        .    1 TOPIC length, then the UTF-8 topic
 *        .    2 PROPERTIES length, then name\u0001value\u0002 ...
 *
 * Fixed overhead = 91 bytes + body + topic + properties.
 */
export const RECORD_FIXED_OVERHEAD = 91;
export const POS_TOTAL_SIZE = 0;
export const POS_MAGIC = 4;
export const POS_BODY_CRC = 8;
export const POS_QUEUE_ID = 12;
export const POS_FLAG = 16;
export const POS_QUEUE_OFFSET = 20;
export const POS_PHYSICAL_OFFSET = 28;
export const POS_SYS_FLAG = 36;
export const POS_BORN_TIMESTAMP = 40;
export const POS_BORN_HOST = 48;
/** Largest topic a V1 record can carry (1-byte length, signed in Java). */
export const TOPIC_LENGTH_MAX = 127;
/** Largest properties string (2-byte signed length). */
export const PROPERTIES_LENGTH_MAX = 32767;

const IPV4_HOST_LENGTH = 8;
const IPV6_HOST_LENGTH = 20;

/** Record length for the given part lengths (IPv4 hosts, V1), as calMsgLength computes it. */
export function calMsgLength(bodyLength: number, topicLength: number, propertiesLength: number, sysFlag = 0): number {
  const hostExtra =
    ((sysFlag & MessageSysFlag.BORNHOST_V6) !== 0 ? IPV6_HOST_LENGTH - IPV4_HOST_LENGTH : 0) +
    ((sysFlag & MessageSysFlag.STOREHOST_V6) !== 0 ? IPV6_HOST_LENGTH - IPV4_HOST_LENGTH : 0);
  return RECORD_FIXED_OVERHEAD + hostExtra + bodyLength + topicLength + propertiesLength;
}

/** CM/UtilAll.java crc32: the unsigned CRC-32 with the top bit cleared, so it fits a Java int. */
export function bodyCrc(body: Uint8Array): number {
  return zlib.crc32(body) & 0x7fffffff;
}

/** Java's String.hashCode over UTF-16 code units; RocketMQ's tagsCode for a TAGS property. */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/** MessageDecoder.messageProperties2String: name\u0001value\u0002 for each property, in order. */
export function messageProperties2String(properties: ReadonlyMap<string, string>): string {
  let out = '';
  for (const [name, value] of properties) out += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
  return out;
}

/** MessageDecoder.string2messageProperties: tolerant of a missing trailing separator. */
export function string2MessageProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  // indexOf over the text, without the array and the item strings a split would make
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = text.length;
    const at = text.indexOf(NAME_VALUE_SEPARATOR, start);
    if (at >= 0 && at < end) out.set(text.slice(start, at), text.slice(at + 1, end));
    start = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hosts and offsetMsgId
// ---------------------------------------------------------------------------------------------

/** Parsed IPv4 addresses; a broker sees a handful of hosts, so this stays tiny (bounded anyway). */
const ipv4Cache = new Map<string, Uint8Array>();
const IPV4_CACHE_MAX = 4096;
/** The other way: dotted quads by their 32-bit value (every record carries two hosts) */
const dottedQuads = new Map<number, string>();

function ipv4Bytes(ip: string): Uint8Array {
  let bytes = ipv4Cache.get(ip);
  if (bytes) return bytes;
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`host ip "${ip}" is not an IPv4 dotted quad`);
  bytes = Uint8Array.from(parts, (part) => Number(part) & 0xff);
  if (ipv4Cache.size >= IPV4_CACHE_MAX) ipv4Cache.clear();
  ipv4Cache.set(ip, bytes);
  return bytes;
}

function writeIpv4(buffer: Buffer, position: number, host: HostAddress): void {
  buffer.set(ipv4Bytes(host.ip), position);
  buffer.writeInt32BE(host.port | 0, position + 4);
}

/** Writes a non-negative or negative safe integer as a Java long without going through BigInt. */
/**
 * A Java long read as a number, from its two 32-bit halves: the same value as
 * Number(readBigInt64BE) (one rounding of the exact sum past 2^53), without a BigInt per field.
 */
export function readLong(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position) * 0x1_0000_0000 + buffer.readUInt32BE(position + 4);
}

/** A whole number (|value| < 2^53) written as a Java long; returns the position after it. */
export function writeLong(buffer: Buffer, value: number, position: number): number {
  const high = Math.floor(value / 0x1_0000_0000);
  buffer.writeInt32BE(high | 0, position);
  buffer.writeUInt32BE(value - high * 0x1_0000_0000, position + 4);
  return position + 8;
}

function readHost(buffer: Buffer, position: number, v6: boolean): HostAddress {
  if (!v6) {
    const word = buffer.readUInt32BE(position);
    let ip = dottedQuads.get(word);
    if (ip === undefined) {
      ip = `${buffer[position]}.${buffer[position + 1]}.${buffer[position + 2]}.${buffer[position + 3]}`;
      if (dottedQuads.size >= IPV4_CACHE_MAX) dottedQuads.clear();
      dottedQuads.set(word, ip);
    }
    return { ip, port: buffer.readInt32BE(position + 4) };
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buffer.readUInt16BE(position + i).toString(16));
  return { ip: groups.join(':'), port: buffer.readInt32BE(position + 16) };
}

/*
 * offsetMsgId (S/CommitLog.java msgIdSupplier), 16 bytes as 32 uppercase hex characters:
 *   [store IPv4 (4)][store port (4, int)][commit-log offset (8)]
 */
export const OFFSET_MSG_ID_BYTES = 16;

export function createOffsetMsgId(storeHost: HostAddress, commitLogOffset: number): string {
  let hostHex = hostHexCache.get(storeHost);
  if (hostHex === undefined) {
    hostHex = (Buffer.from(ipv4Bytes(storeHost.ip)).toString('hex') + (storeHost.port >>> 0).toString(16).padStart(8, '0')).toUpperCase();
    hostHexCache.set(storeHost, hostHex);
  }
  return hostHex + commitLogOffset.toString(16).padStart(16, '0').toUpperCase();
}
/** the hex of a store host, per host object (a commit log stamps every record with the same one) */
const hostHexCache = new WeakMap<HostAddress, string>();

/** Returns null for anything that is not 32 hex characters. */
export function parseOffsetMsgId(msgId: string): { storeHost: HostAddress; commitLogOffset: number } | null {
  if (!/^[0-9a-fA-F]{32}$/.test(msgId)) return null;
  const buffer = Buffer.from(msgId, 'hex');
  return { storeHost: readHost(buffer, 0, false), commitLogOffset: readLong(buffer, 8) };
}

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

/** The parts of a record the store assigns when it appends. */
export interface RecordPlacement {
  queueOffset: number;
  physicalOffset: number;
  storeTimestamp: number;
  storeHost: HostAddress;
}

/**
 * A message turned into bytes once, before the store knows where it goes: the variable parts are
 * encoded and measured so the store can size-check it and decide whether to roll a segment.
 */
export interface PreparedRecord {
  readonly message: MessageInner;
  readonly topicBytes: Buffer;
  readonly propertiesBytes: Buffer;
  readonly bodyCrc: number;
  /** sysFlag with the IPv6 host bits cleared: Zeroloss writes IPv4 hosts only */
  readonly sysFlag: number;
  readonly totalSize: number;
}

const topicBytesCache = new Map<string, Buffer>();
const TOPIC_CACHE_MAX = 4096;

function topicBytesOf(topic: string): Buffer {
  let bytes = topicBytesCache.get(topic);
  if (!bytes) {
    bytes = Buffer.from(topic, 'utf8');
    if (topicBytesCache.size >= TOPIC_CACHE_MAX) topicBytesCache.clear();
    topicBytesCache.set(topic, bytes);
  }
  return bytes;
}

export function prepareRecord(message: MessageInner): PreparedRecord {
  const topicBytes = topicBytesOf(message.topic);
  const propertiesBytes = Buffer.from(messageProperties2String(message.properties), 'utf8');
  const sysFlag = message.sysFlag & ~(MessageSysFlag.BORNHOST_V6 | MessageSysFlag.STOREHOST_V6);
  return {
    message,
    topicBytes,
    propertiesBytes,
    bodyCrc: bodyCrc(message.body),
    sysFlag,
    totalSize: calMsgLength(message.body.length, topicBytes.length, propertiesBytes.length),
  };
}

/** Writes the whole record; the caller checked topic and properties lengths beforehand. */
export function encodePreparedRecord(prepared: PreparedRecord, placement: RecordPlacement): Buffer {
  const { message, topicBytes, propertiesBytes } = prepared;
  if (topicBytes.length > TOPIC_LENGTH_MAX) throw new Error(`topic is ${topicBytes.length} bytes, over ${TOPIC_LENGTH_MAX}`);
  if (propertiesBytes.length > PROPERTIES_LENGTH_MAX) throw new Error(`properties are ${propertiesBytes.length} bytes, over ${PROPERTIES_LENGTH_MAX}`);
  const buffer = Buffer.allocUnsafe(prepared.totalSize);
  let p = 0;
  p = buffer.writeInt32BE(prepared.totalSize, p);
  p = buffer.writeInt32BE(MESSAGE_MAGIC_CODE, p);
  p = buffer.writeInt32BE(prepared.bodyCrc, p);
  p = buffer.writeInt32BE(message.queueId | 0, p);
  p = buffer.writeInt32BE(message.flag | 0, p);
  p = writeLong(buffer, placement.queueOffset, p);
  p = writeLong(buffer, placement.physicalOffset, p);
  p = buffer.writeInt32BE(prepared.sysFlag | 0, p);
  p = writeLong(buffer, message.bornTimestamp, p);
  writeIpv4(buffer, p, message.bornHost);
  p += IPV4_HOST_LENGTH;
  p = writeLong(buffer, placement.storeTimestamp, p);
  writeIpv4(buffer, p, placement.storeHost);
  p += IPV4_HOST_LENGTH;
  p = buffer.writeInt32BE(message.reconsumeTimes | 0, p);
  p = writeLong(buffer, message.preparedTransactionOffset, p);
  p = buffer.writeInt32BE(message.body.length, p);
  p += message.body.copy(buffer, p);
  p = buffer.writeUInt8(topicBytes.length, p);
  p += topicBytes.copy(buffer, p);
  p = buffer.writeInt16BE(propertiesBytes.length, p);
  p += propertiesBytes.copy(buffer, p);
  if (p !== prepared.totalSize) throw new Error(`record encoder wrote ${p} bytes, expected ${prepared.totalSize}`);
  return buffer;
}

export function encodeMessageRecord(message: MessageInner, placement: RecordPlacement): Buffer {
  return encodePreparedRecord(prepareRecord(message), placement);
}

/*
 * End-of-segment BLANK record (S/CommitLog.java DefaultAppendMessageCallback):
 *   [TOTALSIZE = bytes left in the segment (4)][BLANK_MAGIC_CODE 0xCBD43194 (4)]
 */
export function encodeBlankRecord(remaining: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeInt32BE(remaining, 0);
  buffer.writeInt32BE(BLANK_MAGIC_CODE, 4);
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// Validate
// ---------------------------------------------------------------------------------------------

export const RecordCheckStatus = {
  /** a whole, valid message record */
  OK: 'OK',
  /** the end-of-segment BLANK record */
  BLANK: 'BLANK',
  /** fewer bytes than the header or the declared size: a torn tail */
  INCOMPLETE: 'INCOMPLETE',
  BAD_MAGIC: 'BAD_MAGIC',
  BAD_SIZE: 'BAD_SIZE',
  BAD_CRC: 'BAD_CRC',
  /** the lengths inside the record do not add up to TOTALSIZE */
  BAD_LENGTH: 'BAD_LENGTH',
  /** PHYSICALOFFSET does not name the position the record sits at */
  BAD_OFFSET: 'BAD_OFFSET',
} as const;
export type RecordCheckStatus = (typeof RecordCheckStatus)[keyof typeof RecordCheckStatus];

export interface RecordCheck {
  status: RecordCheckStatus;
  /** TOTALSIZE as read (for BLANK: bytes to skip); 0 when not even the size was readable */
  size: number;
}

export interface RecordCheckOptions {
  /** verify BODYCRC (checkCRCOnRecover) */
  checkCrc: boolean;
  /** largest TOTALSIZE accepted */
  maxRecordSize: number;
  /** when given, PHYSICALOFFSET must equal it */
  expectedPhysicalOffset?: number;
}

/**
 * CommitLog.checkMessageAndReturnSize: size bounds, magic, recomputed length, body CRC. Only the body
 * is covered by the CRC in a V1 record, so a flipped bit in, say, QUEUEID or FLAG passes unnoticed,
 * exactly as it does in RocketMQ.
 */
export function checkMessageRecord(buffer: Buffer, position: number, options: RecordCheckOptions): RecordCheck {
  const available = buffer.length - position;
  if (available < 8) return { status: RecordCheckStatus.INCOMPLETE, size: 0 };
  const totalSize = buffer.readInt32BE(position + POS_TOTAL_SIZE);
  const magic = buffer.readInt32BE(position + POS_MAGIC);
  if (magic === BLANK_MAGIC_CODE) return { status: RecordCheckStatus.BLANK, size: totalSize };
  if (magic !== MESSAGE_MAGIC_CODE) return { status: RecordCheckStatus.BAD_MAGIC, size: totalSize };
  if (totalSize < RECORD_FIXED_OVERHEAD || totalSize > options.maxRecordSize) return { status: RecordCheckStatus.BAD_SIZE, size: totalSize };
  if (available < totalSize) return { status: RecordCheckStatus.INCOMPLETE, size: totalSize };

  const sysFlag = buffer.readInt32BE(position + POS_SYS_FLAG);
  const bornHostLength = (sysFlag & MessageSysFlag.BORNHOST_V6) !== 0 ? IPV6_HOST_LENGTH : IPV4_HOST_LENGTH;
  const storeHostLength = (sysFlag & MessageSysFlag.STOREHOST_V6) !== 0 ? IPV6_HOST_LENGTH : IPV4_HOST_LENGTH;
  const bodyLengthAt = POS_BORN_HOST + bornHostLength + 8 + storeHostLength + 4 + 8;
  const bodyLength = buffer.readInt32BE(position + bodyLengthAt);
  const topicLengthAt = bodyLengthAt + 4 + bodyLength;
  if (bodyLength < 0 || topicLengthAt + 1 + 2 > totalSize) return { status: RecordCheckStatus.BAD_LENGTH, size: totalSize };
  const topicLength = buffer.readUInt8(position + topicLengthAt);
  const propertiesLengthAt = topicLengthAt + 1 + topicLength;
  if (propertiesLengthAt + 2 > totalSize) return { status: RecordCheckStatus.BAD_LENGTH, size: totalSize };
  const propertiesLength = buffer.readInt16BE(position + propertiesLengthAt);
  if (propertiesLength < 0 || calMsgLength(bodyLength, topicLength, propertiesLength, sysFlag) !== totalSize) {
    return { status: RecordCheckStatus.BAD_LENGTH, size: totalSize };
  }
  if (options.expectedPhysicalOffset !== undefined) {
    const physicalOffset = readLong(buffer, position + POS_PHYSICAL_OFFSET);
    if (physicalOffset !== options.expectedPhysicalOffset) return { status: RecordCheckStatus.BAD_OFFSET, size: totalSize };
  }
  if (options.checkCrc) {
    const bodyStart = position + bodyLengthAt + 4;
    const crc = bodyCrc(buffer.subarray(bodyStart, bodyStart + bodyLength));
    if (crc !== buffer.readInt32BE(position + POS_BODY_CRC)) return { status: RecordCheckStatus.BAD_CRC, size: totalSize };
  }
  return { status: RecordCheckStatus.OK, size: totalSize };
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

/**
 * Decodes the record at `position` (which must be whole: check it first when the bytes are
 * untrusted). The body is a view into `buffer` unless `copyBody` is set.
 */
export function decodeMessageRecord(buffer: Buffer, position = 0, options: { copyBody?: boolean } = {}): MessageExt {
  let p = position;
  const storeSize = buffer.readInt32BE(p); p += 4;
  p += 4; // magic
  const bodyCRC = buffer.readInt32BE(p); p += 4;
  const queueId = buffer.readInt32BE(p); p += 4;
  const flag = buffer.readInt32BE(p); p += 4;
  const queueOffset = readLong(buffer, p); p += 8;
  const commitLogOffset = readLong(buffer, p); p += 8;
  const sysFlag = buffer.readInt32BE(p); p += 4;
  const bornTimestamp = readLong(buffer, p); p += 8;
  const bornV6 = (sysFlag & MessageSysFlag.BORNHOST_V6) !== 0;
  const bornHost = readHost(buffer, p, bornV6); p += bornV6 ? IPV6_HOST_LENGTH : IPV4_HOST_LENGTH;
  const storeTimestamp = readLong(buffer, p); p += 8;
  const storeV6 = (sysFlag & MessageSysFlag.STOREHOST_V6) !== 0;
  const storeHostAt = p;
  const storeHost = readHost(buffer, p, storeV6); p += storeV6 ? IPV6_HOST_LENGTH : IPV4_HOST_LENGTH;
  const reconsumeTimes = buffer.readInt32BE(p); p += 4;
  const preparedTransactionOffset = readLong(buffer, p); p += 8;
  const bodyLength = buffer.readInt32BE(p); p += 4;
  const bodyView = buffer.subarray(p, p + bodyLength); p += bodyLength;
  const topicLength = buffer.readUInt8(p); p += 1;
  const topic = buffer.toString('utf8', p, p + topicLength); p += topicLength;
  const propertiesLength = buffer.readInt16BE(p); p += 2;
  const properties = string2MessageProperties(buffer.toString('utf8', p, p + propertiesLength));
  return {
    storeSize,
    bodyCRC,
    queueId,
    flag,
    queueOffset,
    commitLogOffset,
    sysFlag,
    bornTimestamp,
    bornHost,
    storeTimestamp,
    storeHost,
    reconsumeTimes,
    preparedTransactionOffset,
    body: options.copyBody ? Buffer.from(bodyView) : bodyView,
    topic,
    properties,
    msgId: offsetMsgIdAt(buffer, storeHostAt, storeV6 ? IPV6_HOST_LENGTH : IPV4_HOST_LENGTH, position + POS_PHYSICAL_OFFSET),
  };
}

/**
 * A record's offsetMsgId read from its own bytes: store host (IPv4 + port, or IPv6 + port) then the
 * commit-log offset, in hex, as createOffsetMsgId writes it from the decoded fields.
 */
function offsetMsgIdAt(buffer: Buffer, storeHostAt: number, storeHostLength: number, physicalOffsetAt: number): string {
  return (buffer.toString('hex', storeHostAt, storeHostAt + storeHostLength) + buffer.toString('hex', physicalOffsetAt, physicalOffsetAt + 8)).toUpperCase();
}

/**
 * Walks a concatenation of records, as a PULL_MESSAGE response body carries them. Stops at the
 * first record that is not whole and valid (its CRC included) and reports why.
 */
export function decodeMessageRecords(
  buffer: Buffer,
  options: { checkCrc?: boolean; copyBody?: boolean } = {},
): { messages: MessageExt[]; status: RecordCheckStatus; consumedBytes: number } {
  const messages: MessageExt[] = [];
  let position = 0;
  while (position < buffer.length) {
    const check = checkMessageRecord(buffer, position, { checkCrc: options.checkCrc ?? true, maxRecordSize: 0x7fffffff });
    if (check.status !== RecordCheckStatus.OK) return { messages, status: check.status, consumedBytes: position };
    messages.push(decodeMessageRecord(buffer, position, { copyBody: options.copyBody }));
    position += check.size;
  }
  return { messages, status: RecordCheckStatus.OK, consumedBytes: position };
}

/** The transaction type bits of a sysflag (0x0 NOT, 0x4 PREPARED, 0x8 COMMIT, 0xC ROLLBACK). */
export function transactionType(sysFlag: number): number {
  return sysFlag & MessageSysFlag.TRANSACTION_ROLLBACK_TYPE;
}
