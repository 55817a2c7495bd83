/**
 * The contract between the broker's request processors and its store. Offsets are JS numbers:
 * exact up to 2^53 bytes, far beyond any lab's commit log.
 */
import type { PutMessageStatus } from '../protocol/codes.js';

export interface HostAddress {
  ip: string; // IPv4 dotted quad
  port: number;
}

/** A message as a producer's send becomes it, before the store assigns offsets (MessageExtBrokerInner). */
export interface MessageInner {
  topic: string;
  queueId: number;
  flag: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Buffer;
  /** in insertion order; encoded as name\u0001value\u0002... */
  properties: Map<string, string>;
}

/** A stored message as read back from the commit log (MessageExt). */
export interface MessageExt extends MessageInner {
  storeSize: number;
  bodyCRC: number;
  queueOffset: number;
  commitLogOffset: number;
  storeTimestamp: number;
  storeHost: HostAddress;
  /** offsetMsgId: uppercase hex of store IP(4) + port(4) + commit-log offset(8) */
  msgId: string;
}

export interface AppendResult {
  wroteOffset: number;
  wroteBytes: number;
  /** offsetMsgId of the record */
  msgId: string;
  queueOffset: number;
  storeTimestamp: number;
}

export interface PutMessageResult {
  status: PutMessageStatus;
  /** present whenever the message was appended (every status but the refusals) */
  append?: AppendResult;
  /** why, for refusals: names the limit or rule */
  remark?: string;
}

export const GetMessageStatus = {
  FOUND: 'FOUND',
  NO_MATCHED_MESSAGE: 'NO_MATCHED_MESSAGE',
  NO_MESSAGE_IN_QUEUE: 'NO_MESSAGE_IN_QUEUE',
  OFFSET_OVERFLOW_ONE: 'OFFSET_OVERFLOW_ONE',
  OFFSET_OVERFLOW_BADLY: 'OFFSET_OVERFLOW_BADLY',
  OFFSET_TOO_SMALL: 'OFFSET_TOO_SMALL',
  NO_MATCHED_LOGIC_QUEUE: 'NO_MATCHED_LOGIC_QUEUE',
} as const;
export type GetMessageStatus = (typeof GetMessageStatus)[keyof typeof GetMessageStatus];

export interface GetMessageResult {
  status: GetMessageStatus;
  /** raw commit-log records, in queue order, ready to be concatenated into a pull response body */
  records: Buffer[];
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
}

/** Stage events the store emits; the broker forwards them to the control plane. */
export interface StoreEvents {
  /** a record was appended to the page cache */
  stored?(event: { msgId: string; uniqKey?: string; topic: string; queueId: number; queueOffset: number; commitLogOffset: number; size: number; storeTimestamp: number; properties: Map<string, string> }): void;
  /** an fdatasync completed; every record ending at or before flushedOffset is durable */
  flushed?(event: { flushedOffset: number; atMs: number }): void;
}

/**
 * A stored message put again somewhere else (a retry or DLQ copy, a delayed message coming due, a
 * committed or checked transaction half): the same body, flags and origin, with a new place and
 * properties. `changes` overrides any field.
 */
export function restoreAs(stored: MessageExt, topic: string, queueId: number, properties: Map<string, string>, changes: Partial<MessageInner> = {}): MessageInner {
  return {
    topic,
    queueId,
    flag: stored.flag,
    sysFlag: stored.sysFlag,
    bornTimestamp: stored.bornTimestamp,
    bornHost: stored.bornHost,
    reconsumeTimes: stored.reconsumeTimes,
    preparedTransactionOffset: stored.preparedTransactionOffset,
    body: Buffer.from(stored.body),
    properties,
    ...changes,
  };
}
