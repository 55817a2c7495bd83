/**
 * The broker side of transactional messages (B/transaction/queue/TransactionalMessageServiceImpl.java,
 * B/processor/EndTransactionProcessor.java; docs/rocketmq-semantics.md#transactions).
 *
 * endTransaction: COMMIT loads the half by commit-log offset, verifies that it is a half of the
 * request's producer group at the request's queue offset, re-puts it on its real topic/queue with the
 * COMMIT type and writes an op message; ROLLBACK writes the op message only; UNKNOW is ignored.
 * Refusals are SYSTEM_ERROR with a remark naming what did not match.
 *
 * check (one pass of TransactionalMessageCheckService): walks the half queue from the consume offset
 * of CID_SYS_RMQ_TRANS, skipping halves that have an op. A half older than transactionTimeOut gets a
 * copy appended with TRANSACTION_CHECK_TIMES + 1 and CHECK_TRANSACTION_STATE (39) is sent oneway,
 * about the copy, to one live channel of its producer group; a half already checked
 * transactionCheckMax times goes to TRANS_CHECK_MAX_TIME_TOPIC instead and is counted. Halves stored
 * during the pass (the copies) wait for the next pass, so each open transaction is asked at most once
 * per transactionCheckInterval. The half and op consume offsets are committed after the pass.
 *
 * Zeroloss addition: the verdict of each transaction id is remembered (in memory, bounded), so a
 * second END_TRANSACTION for the same transaction (the producer's own answer racing a check-back's)
 * writes the op but does not publish the message twice, and a contradicting verdict is refused.
 */
import type { BrokerSettings } from '../config/broker-config.js';
import { systemClock, type Clock } from '../io/clock.js';
import {
  CID_SYS_RMQ_TRANS,
  MessageProperty,
  MessageSysFlag,
  RemotingFlag,
  RequestCode,
  ResponseCode,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TRANS_CHECK_MAX_TIME_TOPIC,
} from '../protocol/codes.js';
import { encodeMessageRecord } from '../protocol/message-record.js';
import { createRequest, type RemotingCommand } from '../protocol/remoting-command.js';
import { FILLER_ENTRY_SIZE } from '../store/consume-queue.js';
import type { DefaultMessageStore } from '../store/message-store.js';
import { newTopicConfig } from '../store/topic-config-manager.js';
import type { AppendResult, MessageExt } from '../store/types.js';
import {
  TRANS_HALF_QUEUE_ID,
  buildOpMessage,
  checkTimesOf,
  discardMessageInner,
  endMessageTransaction,
  renewHalfMessageInner,
  transactionIdOf,
} from './transactional-message-bridge.js';

/** Halves one check pass looks at, at most (bounds a pass however many are open). */
export const CHECK_HALVES_PER_PASS_MAX = 2048;
/** Op messages one pass reads, at most. */
export const CHECK_OPS_PER_PASS_MAX = 8192;
/** RocketMQ's MAX_PROCESS_TIME_LIMIT: one pass stops after this long. */
export const CHECK_PASS_TIME_LIMIT_MS = 60_000;
/** Transaction verdicts remembered for duplicate END_TRANSACTIONs. */
export const RESOLVED_TRANSACTIONS_MAX = 100_000;

/** EndTransactionRequestHeader. */
export interface EndTransactionHeader {
  producerGroup: string;
  tranStateTableOffset: number;
  commitLogOffset: number;
  /** MessageSysFlag: 0x0 UNKNOW, 0x8 COMMIT, 0xC ROLLBACK */
  commitOrRollback: number;
  fromTransactionCheck: boolean;
  msgId?: string;
  transactionId?: string;
}

export interface EndTransactionResult {
  code: number;
  remark?: string;
}

export interface CheckPassReport {
  /** check-backs sent (a copy appended and CHECK_TRANSACTION_STATE sent or attempted) */
  checked: number;
  /** halves moved to TRANS_CHECK_MAX_TIME_TOPIC */
  discarded: number;
  /** checks for which no live producer channel existed */
  noChannel: number;
  halfOffset: number;
  opOffset: number;
}

export interface TransactionalMessageServiceOptions {
  store: DefaultMessageStore;
  settings: () => BrokerSettings;
  clock?: Clock;
  /** sends a oneway CHECK_TRANSACTION_STATE to one live channel of `group`; false when there is none */
  sendCheck(group: string, request: RemotingCommand): boolean;
}

type Verdict = 'COMMIT' | 'ROLLBACK';

export class TransactionalMessageService {
  private readonly options: TransactionalMessageServiceOptions;
  private readonly clock: Clock;
  private readonly resolved = new Map<string, Verdict>();
  committedTotal = 0;
  rolledBackTotal = 0;
  checksSentTotal = 0;
  checksWithoutChannelTotal = 0;
  /** halves discarded to TRANS_CHECK_MAX_TIME_TOPIC after transactionCheckMax checks */
  discardedTotal = 0;

  constructor(options: TransactionalMessageServiceOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  /** Creates the system topics with their one queue (TopicValidator's system topics). */
  ensureSystemTopics(): void {
    const topics = this.options.store.topics;
    for (const topic of [RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRANS_OP_HALF_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC]) {
      if (!topics.selectTopicConfig(topic)) topics.updateTopicConfig(newTopicConfig(topic, 1));
    }
  }

  /** Counters for GET_BROKER_RUNTIME_INFO and the dashboard. */
  stats(): Record<string, number> {
    return {
      transactionCommitted: this.committedTotal,
      transactionRolledBack: this.rolledBackTotal,
      transactionChecksSent: this.checksSentTotal,
      transactionChecksWithoutChannel: this.checksWithoutChannelTotal,
      transactionCheckMaxDiscarded: this.discardedTotal,
      transactionHalfPending: this.pendingHalves(),
    };
  }

  /** Halves at or after the check offset (open ones, plus resolved ones the next pass will skip). */
  pendingHalves(): number {
    const queue = this.options.store.findConsumeQueue(RMQ_SYS_TRANS_HALF_TOPIC, TRANS_HALF_QUEUE_ID);
    if (!queue) return 0;
    const from = Math.max(this.options.store.consumerOffsets.queryOffset(CID_SYS_RMQ_TRANS, RMQ_SYS_TRANS_HALF_TOPIC, TRANS_HALF_QUEUE_ID), queue.minOffsetInQueue());
    return Math.max(0, queue.maxOffsetInQueue() - from);
  }

  // -------------------------------------------------------------------------------------------
  // END_TRANSACTION
  // -------------------------------------------------------------------------------------------

  async endTransaction(header: EndTransactionHeader): Promise<EndTransactionResult> {
    const type = header.commitOrRollback;
    if (type === MessageSysFlag.TRANSACTION_NOT_TYPE) {
      return { code: ResponseCode.SUCCESS, remark: 'UNKNOW: the transaction stays open until a check-back resolves it' };
    }
    if (type !== MessageSysFlag.TRANSACTION_COMMIT_TYPE && type !== MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) {
      return refuse(`commitOrRollback ${type} is none of 0 (UNKNOW), 8 (COMMIT), 12 (ROLLBACK)`);
    }
    const verdict: Verdict = type === MessageSysFlag.TRANSACTION_COMMIT_TYPE ? 'COMMIT' : 'ROLLBACK';
    const half = this.options.store.lookMessageByOffset(header.commitLogOffset);
    const mismatch = this.checkPrepareMessage(half, header);
    if (mismatch) return refuse(mismatch);
    const prepared = half!;
    const transactionId = transactionIdOf(prepared);
    const previous = this.resolved.get(transactionId);
    if (previous !== undefined) {
      // This half (a check-back copy, or a repeated request) is settled: mark it so checks stop.
      await this.putOp(prepared.queueOffset);
      if (previous === verdict) return { code: ResponseCode.SUCCESS, remark: `transaction ${transactionId} was already resolved with ${verdict}` };
      return refuse(`transaction ${transactionId} was already resolved with ${previous}: ${verdict} refused`);
    }
    this.remember(transactionId, verdict);
    if (verdict === 'COMMIT') {
      const inner = endMessageTransaction(prepared);
      if (!inner) {
        this.resolved.delete(transactionId);
        return refuse(`the half message at commitLogOffset ${header.commitLogOffset} has no valid REAL_TOPIC/REAL_QID`);
      }
      const result = await this.options.store.putMessage(inner);
      if (!result.append) {
        this.resolved.delete(transactionId);
        return refuse(`commit of transaction ${transactionId} failed: ${result.status}${result.remark ? ` (${result.remark})` : ''}`);
      }
      this.committedTotal++;
    } else {
      this.rolledBackTotal++;
    }
    await this.putOp(prepared.queueOffset);
    return { code: ResponseCode.SUCCESS };
  }

  /** EndTransactionProcessor.checkPrepareMessage, plus "is it a half at all": null when it matches. */
  private checkPrepareMessage(half: MessageExt | null, header: EndTransactionHeader): string | null {
    const at = `commitLogOffset ${header.commitLogOffset}`;
    const which = header.transactionId ?? header.msgId;
    if (!half) return `unknown transaction${which ? ` ${which}` : ''}: no prepared transaction message at ${at}`;
    if (half.topic !== RMQ_SYS_TRANS_HALF_TOPIC) {
      return `unknown transaction${which ? ` ${which}` : ''}: the message at ${at} is on topic ${half.topic}, not a half message of ${RMQ_SYS_TRANS_HALF_TOPIC}`;
    }
    const group = half.properties.get(MessageProperty.PGROUP);
    if (group !== header.producerGroup) {
      return `The producer group wrong: the half message at ${at} belongs to producer group ${group ?? '(none)'}, the request names ${header.producerGroup}`;
    }
    if (half.queueOffset !== header.tranStateTableOffset) {
      return `The transaction state table offset wrong: the half message at ${at} has queue offset ${half.queueOffset}, the request says tranStateTableOffset ${header.tranStateTableOffset}`;
    }
    const transactionId = transactionIdOf(half);
    if (header.transactionId && header.transactionId !== transactionId) {
      return `The transaction id wrong: the half message at ${at} is transaction ${transactionId}, the request names ${header.transactionId}`;
    }
    return null;
  }

  private remember(transactionId: string, verdict: Verdict): void {
    if (this.resolved.size >= RESOLVED_TRANSACTIONS_MAX) this.resolved.delete(this.resolved.keys().next().value!);
    this.resolved.set(transactionId, verdict);
  }

  private async putOp(halfQueueOffset: number): Promise<void> {
    const result = await this.options.store.putMessage(buildOpMessage(halfQueueOffset, this.options.store.storeHost, this.clock.nowMs()));
    if (!result.append) console.warn(`[TransactionalMessageService] op message for half offset ${halfQueueOffset} refused: ${result.status}`);
  }

  // -------------------------------------------------------------------------------------------
  // Check-back
  // -------------------------------------------------------------------------------------------

  /** One check pass over the half queue (TransactionalMessageServiceImpl.check). */
  async check(): Promise<CheckPassReport> {
    const store = this.options.store;
    const settings = this.options.settings();
    const offsets = store.consumerOffsets;
    const startTime = this.clock.nowMs();
    const report: CheckPassReport = { checked: 0, discarded: 0, noChannel: 0, halfOffset: 0, opOffset: 0 };
    const halfQueue = store.findConsumeQueue(RMQ_SYS_TRANS_HALF_TOPIC, TRANS_HALF_QUEUE_ID);
    if (!halfQueue) return report;
    const opQueue = store.findConsumeQueue(RMQ_SYS_TRANS_OP_HALF_TOPIC, TRANS_HALF_QUEUE_ID);
    const halfStart = Math.max(offsets.queryOffset(CID_SYS_RMQ_TRANS, RMQ_SYS_TRANS_HALF_TOPIC, TRANS_HALF_QUEUE_ID), halfQueue.minOffsetInQueue());
    const opStart = opQueue ? Math.max(offsets.queryOffset(CID_SYS_RMQ_TRANS, RMQ_SYS_TRANS_OP_HALF_TOPIC, TRANS_HALF_QUEUE_ID), opQueue.minOffsetInQueue()) : 0;

    // Ops: which halves (at or after halfStart) are resolved; opRefs[i] = half offset op i names.
    const removed = new Set<number>();
    const opRefs: number[] = [];
    if (opQueue) {
      const opEnd = Math.min(opQueue.maxOffsetInQueue(), opStart + CHECK_OPS_PER_PASS_MAX);
      for (let i = opStart; i < opEnd; i += 256) {
        for (const entry of opQueue.getEntries(i, Math.min(256, opEnd - i))) {
          const op = entry.size === FILLER_ENTRY_SIZE ? null : store.lookMessageByOffset(entry.commitLogOffset);
          const ref = op ? Number(op.body.toString('utf8')) : -1;
          opRefs.push(Number.isInteger(ref) ? ref : -1);
          if (ref >= halfStart) removed.add(ref);
        }
      }
    }

    let i = halfStart;
    const halfEnd = Math.min(halfQueue.maxOffsetInQueue(), halfStart + CHECK_HALVES_PER_PASS_MAX);
    while (i < halfEnd && store.isRunning()) {
      if (this.clock.nowMs() - startTime > CHECK_PASS_TIME_LIMIT_MS) break;
      if (removed.has(i)) {
        i++;
        continue;
      }
      const entry = halfQueue.getEntry(i);
      const half = entry && entry.size !== FILLER_ENTRY_SIZE ? store.lookMessageByOffset(entry.commitLogOffset) : null;
      if (!half) {
        i++; // a filler, or a record already cleaned away
        continue;
      }
      if (half.storeTimestamp >= startTime) break; // stored during this pass (a copy): next pass
      if (this.resolved.has(transactionIdOf(half))) {
        i++; // settled through another copy
        continue;
      }
      if (checkTimesOf(half) >= settings.transactionCheckMax) {
        const result = await store.putMessage(discardMessageInner(half));
        if (!result.append) break;
        this.discardedTotal++;
        report.discarded++;
        console.warn(`[TransactionalMessageCheckService] transaction ${transactionIdOf(half)} discarded to ${TRANS_CHECK_MAX_TIME_TOPIC} after ${checkTimesOf(half)} checks`);
        i++;
        continue;
      }
      const age = this.clock.nowMs() - half.bornTimestamp;
      if (age >= 0 && age < settings.transactionTimeOut) break; // the rest are younger still
      const copy = renewHalfMessageInner(half);
      const result = await store.putMessage(copy);
      if (!result.append) break;
      report.checked++;
      this.checksSentTotal++;
      const group = half.properties.get(MessageProperty.PGROUP) ?? '';
      if (!this.options.sendCheck(group, this.checkRequest(copy, result.append))) {
        report.noChannel++;
        this.checksWithoutChannelTotal++;
      }
      i++;
    }

    // The op offset moves past ops of halves the half offset has passed (calculateOpOffset).
    let opNext = opStart;
    while (opNext - opStart < opRefs.length && opRefs[opNext - opStart] < i) opNext++;
    offsets.commitOffset(CID_SYS_RMQ_TRANS, RMQ_SYS_TRANS_HALF_TOPIC, TRANS_HALF_QUEUE_ID, i);
    if (opQueue) offsets.commitOffset(CID_SYS_RMQ_TRANS, RMQ_SYS_TRANS_OP_HALF_TOPIC, TRANS_HALF_QUEUE_ID, opNext);
    report.halfOffset = i;
    report.opOffset = opNext;
    return report;
  }

  /**
   * CHECK_TRANSACTION_STATE about the copy just appended (AbstractTransactionalMessageCheckListener.sendCheckMessage):
   * the body is the record with its real topic and queue, as the producer's checker sees it.
   */
  private checkRequest(copy: ReturnType<typeof renewHalfMessageInner>, append: AppendResult): RemotingCommand {
    const uniqKey = copy.properties.get(MessageProperty.UNIQ_KEY) ?? append.msgId;
    const realTopic = copy.properties.get(MessageProperty.REAL_TOPIC) ?? copy.topic;
    const realQueueId = Number(copy.properties.get(MessageProperty.REAL_QID) ?? copy.queueId);
    const body = encodeMessageRecord({ ...copy, topic: realTopic, queueId: realQueueId }, {
      queueOffset: append.queueOffset,
      physicalOffset: append.wroteOffset,
      storeTimestamp: append.storeTimestamp,
      storeHost: this.options.store.storeHost,
    });
    const request = createRequest(RequestCode.CHECK_TRANSACTION_STATE, {
      tranStateTableOffset: append.queueOffset,
      commitLogOffset: append.wroteOffset,
      msgId: uniqKey,
      transactionId: copy.properties.get(MessageProperty.TRANSACTION_ID) ?? uniqKey,
      offsetMsgId: append.msgId,
    }, body);
    request.flag |= RemotingFlag.ONEWAY;
    return request;
  }
}

function refuse(remark: string): EndTransactionResult {
  return { code: ResponseCode.SYSTEM_ERROR, remark };
}
