/**
 * The classic RocketMQ HA wire protocol (docs/rocketmq-semantics.md#ha-protocol): raw TCP, big-endian, no framing
 * besides these headers. It owns encoding and decoding, and the sanity limits that tell a garbage
 * frame from a real one; it does not own sockets or offsets' meaning.
 *
 *   slave → master, every report (on connect, after each appended batch, every haSendHeartbeatInterval):
 *   ┌──────────────────────────────┐
 *   │ slave max phy offset (int64) │   8 bytes
 *   └──────────────────────────────┘
 *
 *   master → slave, every transfer (bodySize 0 = heartbeat):
 *   ┌──────────────────────┬─────────────────┬───────────────────────────────────────────┐
 *   │ master phy offset (8) │ body size (4)    │ raw commit-log bytes, ≤ haTransferBatchSize │
 *   └──────────────────────┴─────────────────┴───────────────────────────────────────────┘
 *   12-byte header; a body never crosses a commit-log segment.
 *
 * A decoder never buffers more than one frame: the master keeps < 8 bytes between reads, the slave
 * at most one header plus HA_BODY_BYTES_MAX.
 */
import { StreamDecoder } from '../protocol/stream-decoder.js';
import { readLong, writeLong } from '../protocol/message-record.js';

/** slave → master report: the slave's max commit-log offset */
export const HA_REPORT_BYTES = 8;
/** master → slave transfer header: [phyOffset:8][bodySize:4] */
export const HA_HEADER_BYTES = 8 + 4;
/** Largest body a slave accepts in one frame: RocketMQ's slave read buffer is 4 MiB. */
export const HA_BODY_BYTES_MAX = 4 * 1024 * 1024;
/** Offsets must stay exact in a JS number; a larger one can only be garbage. */
export const HA_OFFSET_MAX = Number.MAX_SAFE_INTEGER;
/** The slave retries its connection this often (HAClient: waitForRunning(1000 * 5)). */
export const HA_RECONNECT_INTERVAL_MS = 5000;

export class HaProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HaProtocolError';
  }
}

export interface TransferFrame {
  /** where `body` starts in the master's commit log (for a heartbeat: where the master would ship from) */
  phyOffset: number;
  body: Buffer;
}

export function encodeReport(maxPhyOffset: number): Buffer {
  if (!Number.isSafeInteger(maxPhyOffset) || maxPhyOffset < 0) throw new RangeError(`offset ${maxPhyOffset} is not a valid commit-log offset`);
  const buffer = Buffer.allocUnsafe(HA_REPORT_BYTES);
  writeLong(buffer, maxPhyOffset, 0);
  return buffer;
}

/**
 * Controller mode: the slave's first 16 bytes on a new link (RocketMQ 5's AutoSwitchHAClient
 * handshake: int state = 1 HANDSHAKE, short isSyncFromLastFile, short isAsyncLearner, long
 * slaveBrokerId), so the master knows which replica acks what. The classic 8-byte reports follow.
 * Read as two 8-byte words by the master's ReportDecoder: HANDSHAKE_WORD, then the brokerId.
 */
export const HA_HANDSHAKE_WORD = 2 ** 32;
export function encodeSlaveHandshake(slaveBrokerId: number): Buffer {
  if (!Number.isSafeInteger(slaveBrokerId) || slaveBrokerId < 1) throw new RangeError(`brokerId ${slaveBrokerId} is not a controller-mode replica id`);
  const buffer = Buffer.alloc(16);
  buffer.writeInt32BE(1, 0);
  buffer.writeBigInt64BE(BigInt(slaveBrokerId), 8);
  return buffer;
}

export function encodeTransferHeader(phyOffset: number, bodySize: number): Buffer {
  if (!Number.isSafeInteger(phyOffset) || phyOffset < 0) throw new RangeError(`offset ${phyOffset} is not a valid commit-log offset`);
  if (!Number.isInteger(bodySize) || bodySize < 0 || bodySize > HA_BODY_BYTES_MAX) throw new RangeError(`body size ${bodySize} is out of range`);
  const header = Buffer.allocUnsafe(HA_HEADER_BYTES);
  writeLong(header, phyOffset, 0);
  header.writeInt32BE(bodySize, 8);
  return header;
}

function readOffset(buffer: Buffer, at: number, what: string): number {
  const value = readLong(buffer, at);
  if (value < 0 || value > HA_OFFSET_MAX) throw new HaProtocolError(`${what} ${buffer.readBigInt64BE(at)} is not a commit-log offset (0..2^53)`);
  return value;
}

/**
 * Master side: splits the slave's byte stream into 8-byte offset reports. Holds fewer than 8 bytes
 * between pushes. Throws only HaProtocolError; after one it holds nothing and throws it again.
 */
export class ReportDecoder {
  private rest = Buffer.alloc(0);
  private failure: HaProtocolError | undefined;

  get bufferedBytes(): number {
    return this.rest.length;
  }

  /** Every complete report in order; throws HaProtocolError on an impossible offset. */
  push(chunk: Buffer): number[] {
    if (this.failure) throw this.failure;
    const data = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    const whole = data.length - (data.length % HA_REPORT_BYTES);
    const reports: number[] = [];
    try {
      for (let at = 0; at < whole; at += HA_REPORT_BYTES) reports.push(readOffset(data, at, 'reported slave offset'));
    } catch (error) {
      this.rest = Buffer.alloc(0);
      this.failure = error as HaProtocolError;
      throw error;
    }
    this.rest = Buffer.from(data.subarray(whole));
    return reports;
  }
}

/**
 * Slave side: splits the master's byte stream into transfer frames. The header is checked (offset,
 * body size within 0..bodyBytesMax) as soon as its 12 bytes are in, before the body is buffered, so
 * it holds at most HA_HEADER_BYTES + bodyBytesMax bytes between pushes. Throws only HaProtocolError;
 * after one it holds nothing and throws it again.
 */
export class TransferDecoder extends StreamDecoder<TransferFrame, HaProtocolError> {
  constructor(private readonly bodyBytesMax = HA_BODY_BYTES_MAX) {
    super();
  }

  protected asFailure(error: unknown): HaProtocolError {
    return error instanceof HaProtocolError ? error : new HaProtocolError(`transfer frame could not be decoded: ${(error as Error).message}`);
  }

  protected drain(): TransferFrame[] {
    const frames: TransferFrame[] = [];
    for (;;) {
      if (this.available < HA_HEADER_BYTES) break;
      const header = this.peek(HA_HEADER_BYTES);
      const phyOffset = readOffset(header, 0, 'master offset');
      const bodySize = header.readInt32BE(8);
      if (bodySize < 0 || bodySize > this.bodyBytesMax) {
        throw new HaProtocolError(`transfer body size ${bodySize} is outside 0..${this.bodyBytesMax}`);
      }
      if (this.available < HA_HEADER_BYTES + bodySize) break;
      const frame = this.take(HA_HEADER_BYTES + bodySize);
      frames.push({ phyOffset, body: frame.subarray(HA_HEADER_BYTES) });
    }
    return frames;
  }
}
