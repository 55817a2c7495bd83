/**
 * The message rewrites of transactional messages (B/transaction/queue/TransactionalMessageBridge.java,
 * B/processor/EndTransactionProcessor.java; docs/rocketmq-semantics.md#transactions). Pure functions on messages: no
 * store, no I/O.
 *
 *   send (TRAN_MSG=true, sysFlag PREPARED) ── parseHalfMessageInner ──▶ RMQ_SYS_TRANS_HALF_TOPIC/0
 *        REAL_TOPIC, REAL_QID, __transactionId__ kept; sysFlag reset to NOT so the half is indexed
 *        in the half topic's consume queue (and nowhere else)
 *   END_TRANSACTION COMMIT ── endMessageTransaction ──▶ real topic/queue, sysFlag COMMIT, put waiting for its guarantees
 *   COMMIT or ROLLBACK ── buildOpMessage ──▶ RMQ_SYS_TRANS_OP_HALF_TOPIC/0, tag "d", body = half queue offset
 *   check-back ── renewHalfMessageInner ──▶ a copy of the half, TRANSACTION_CHECK_TIMES + 1
 *   too many checks ── discardMessageInner ──▶ TRANS_CHECK_MAX_TIME_TOPIC/0 (never delivered)
 */
import {
  MessageProperty,
  MessageSysFlag,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TRANS_CHECK_MAX_TIME_TOPIC,
  TRANS_OP_REMOVE_TAG,
} from '../protocol/codes.js';
import { transactionType } from '../protocol/message-record.js';
import { restoreAs, type HostAddress, type MessageExt, type MessageInner } from '../store/types.js';

/** The half (and op) topics have one queue each. */
export const TRANS_HALF_QUEUE_ID = 0;

/** A send that must become a half message: property TRAN_MSG=true and the PREPARED sysFlag. */
export function isPreparedSend(message: MessageInner): boolean {
  return message.properties.get(MessageProperty.TRAN_MSG) === 'true'
    && transactionType(message.sysFlag) === MessageSysFlag.TRANSACTION_PREPARED_TYPE;
}

/** Resets the transaction bits of a sysFlag to `type` (MessageSysFlag.resetTransactionValue). */
export function resetTransactionValue(sysFlag: number, type: number): number {
  return (sysFlag & ~MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) | type;
}

/** parseHalfMessageInner: the send is parked in the half topic. Mutates `message`. */
export function parseHalfMessageInner(message: MessageInner): void {
  const uniqKey = message.properties.get(MessageProperty.UNIQ_KEY);
  message.properties.set(MessageProperty.REAL_TOPIC, message.topic);
  message.properties.set(MessageProperty.REAL_QID, String(message.queueId));
  if (uniqKey !== undefined) message.properties.set(MessageProperty.TRANSACTION_ID, uniqKey);
  message.sysFlag = resetTransactionValue(message.sysFlag, MessageSysFlag.TRANSACTION_NOT_TYPE);
  message.topic = RMQ_SYS_TRANS_HALF_TOPIC;
  message.queueId = TRANS_HALF_QUEUE_ID;
}

/** The transaction id of a stored half: __transactionId__, else UNIQ_KEY, else its offsetMsgId. */
export function transactionIdOf(half: MessageExt): string {
  return half.properties.get(MessageProperty.TRANSACTION_ID) ?? half.properties.get(MessageProperty.UNIQ_KEY) ?? half.msgId;
}

/** How many check-backs the half (copy) has had. */
export function checkTimesOf(half: MessageExt): number {
  const times = Number(half.properties.get(MessageProperty.TRANSACTION_CHECK_TIMES) ?? 0);
  return Number.isInteger(times) && times > 0 ? times : 0;
}

/**
 * EndTransactionProcessor.endMessageTransaction + the COMMIT rewrite: the half goes to its real
 * topic/queue with REAL_* and TRAN_MSG removed, sysFlag COMMIT, preparedTransactionOffset = the
 * half's commit-log offset. Null when REAL_* are bad.
 *
 * Departure: RocketMQ re-puts with WAIT=false (nobody waits for the answer, END_TRANSACTION is
 * oneway) and its dispatcher makes the record visible from the page cache. Zeroloss's dispatcher
 * shows consumers no more than the guarantees cover (SYNC_FLUSH: the flushed offset; SYNC_MASTER: an
 * in-sync slave's ack), and its SYNC_FLUSH group commit flushes only for puts that wait: a WAIT=false
 * commit stayed invisible until some later waiting put or the periodic flush's thorough pass
 * (flushCommitLogThoroughInterval, 10 s) covered it, so a committed message at the end of the traffic
 * was delivered 10 s late or, in a drill that drains for less, never. The commit therefore keeps
 * WAIT (true): its put waits for the flush and the replica like a producer's SEND_OK, which makes it
 * visible as soon as it is durable, before the op message marks the half resolved.
 */
export function endMessageTransaction(half: MessageExt): MessageInner | null {
  const realTopic = half.properties.get(MessageProperty.REAL_TOPIC);
  const realQueueId = Number(half.properties.get(MessageProperty.REAL_QID));
  if (!realTopic || !Number.isInteger(realQueueId) || realQueueId < 0) return null;
  const properties = new Map(half.properties);
  properties.delete(MessageProperty.REAL_TOPIC);
  properties.delete(MessageProperty.REAL_QID);
  properties.delete(MessageProperty.TRAN_MSG);
  properties.delete(MessageProperty.WAIT); // absent = wait for the store's guarantees (see above)
  const inner = restoreAs(half, realTopic, realQueueId, properties);
  inner.sysFlag = resetTransactionValue(half.sysFlag, MessageSysFlag.TRANSACTION_COMMIT_TYPE);
  inner.preparedTransactionOffset = half.commitLogOffset;
  return inner;
}

/** The op message marking the half at `halfQueueOffset` resolved (TransactionalMessageBridge.addRemoveTagInTransactionOp). */
export function buildOpMessage(halfQueueOffset: number, bornHost: HostAddress, nowMs: number): MessageInner {
  return {
    topic: RMQ_SYS_TRANS_OP_HALF_TOPIC,
    queueId: TRANS_HALF_QUEUE_ID,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: nowMs,
    bornHost,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: Buffer.from(String(halfQueueOffset)),
    properties: new Map([[MessageProperty.TAGS, TRANS_OP_REMOVE_TAG], [MessageProperty.WAIT, 'false']]),
  };
}

/** putBackHalfMsgQueue's copy: the same half (born time kept) with TRANSACTION_CHECK_TIMES + 1. */
export function renewHalfMessageInner(half: MessageExt): MessageInner {
  const properties = new Map(half.properties);
  properties.set(MessageProperty.TRANSACTION_CHECK_TIMES, String(checkTimesOf(half) + 1));
  properties.set(MessageProperty.WAIT, 'false');
  return restoreAs(half, RMQ_SYS_TRANS_HALF_TOPIC, TRANS_HALF_QUEUE_ID, properties);
}

/** DefaultTransactionalMessageCheckListener.resolveDiscardMsg: the half, parked where nobody consumes it. */
export function discardMessageInner(half: MessageExt): MessageInner {
  const properties = new Map(half.properties);
  properties.set(MessageProperty.WAIT, 'false');
  return restoreAs(half, TRANS_CHECK_MAX_TIME_TOPIC, 0, properties);
}
