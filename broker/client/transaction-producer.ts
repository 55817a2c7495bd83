/**
 * The transactional producer (C/producer/TransactionMQProducer.java, DefaultMQProducerImpl
 * sendMessageInTransaction / endTransaction / checkTransactionState; docs/rocketmq-semantics.md#transactions).
 *
 *   sendMessageInTransaction(message, executeLocalTransaction)
 *     1. sync send with TRAN_MSG=true and PGROUP (the Producer sets the PREPARED sysFlag): the broker
 *        parks it as a half message, invisible to consumers of the real topic
 *     2. SEND_OK → the local transaction runs (a throw leaves it UNKNOW); any other status → ROLLBACK
 *     3. oneway END_TRANSACTION: commitOrRollback 0x8 / 0xC / 0 (UNKNOW), tranStateTableOffset = the
 *        half's queue offset, commitLogOffset from the offsetMsgId, msgId = UNIQ_KEY
 *   CHECK_TRANSACTION_STATE (39) from a broker → checkLocalTransaction(message) → oneway
 *   END_TRANSACTION with fromTransactionCheck=true, to the broker that asked.
 *
 * The broker finds the producer for check-backs through its heartbeats (HEART_BEAT with the group in
 * producerDataSet), sent at start, to every broker newly written to, and every
 * heartbeatBrokerIntervalMs. With a name server (namesrvAddr or a shared MQClientInstance) the
 * instance's connection, heartbeats and request dispatch are used; with a direct brokerAddr the
 * producer keeps its own connection for heartbeats, checks and END_TRANSACTION.
 */
import {
  LocalTransactionState,
  MessageProperty,
  MessageSysFlag,
  RequestCode,
  ResponseCode,
} from '../protocol/codes.js';
import { decodeMessageRecord, parseOffsetMsgId } from '../protocol/message-record.js';
import { createRequest, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import { systemClock, type Clock, type Timer } from '../io/clock.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import type { HeartbeatData } from '../client-registry.js';
import type { MessageExt } from '../store/types.js';
import { MQClientInstance } from './mq-client-instance.js';
import { Producer, type Message, type ProducerOptions, type SendResult } from './producer.js';

/** heartbeatBrokerInterval (ClientConfig). */
export const HEARTBEAT_BROKER_INTERVAL_MS = 30_000;
/** checkRequestHolder of TransactionMQProducer: checks waiting or running at once, at most. */
export const CHECK_REQUEST_HOLD_MAX = 2000;

export type LocalTransactionExecutor = (message: Message, context: { msgId: string; sendResult: SendResult }) => LocalTransactionState | Promise<LocalTransactionState>;
export type LocalTransactionChecker = (message: MessageExt) => LocalTransactionState | Promise<LocalTransactionState>;

export interface TransactionProducerOptions extends ProducerOptions {
  /** answers the broker's CHECK_TRANSACTION_STATE for a transaction left UNKNOW (or never ended) */
  checkLocalTransaction: LocalTransactionChecker;
  /** heartbeat period; RocketMQ's heartbeatBrokerInterval is 30 s */
  heartbeatBrokerIntervalMs?: number;
}

export interface TransactionSendResult {
  sendResult: SendResult;
  localTransactionState: LocalTransactionState;
  /** = UNIQ_KEY */
  transactionId: string;
}

const COMMIT_OR_ROLLBACK: Record<LocalTransactionState, number> = {
  COMMIT_MESSAGE: MessageSysFlag.TRANSACTION_COMMIT_TYPE,
  ROLLBACK_MESSAGE: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE,
  UNKNOW: MessageSysFlag.TRANSACTION_NOT_TYPE,
};

function isLocalTransactionState(value: unknown): value is LocalTransactionState {
  return typeof value === 'string' && value in COMMIT_OR_ROLLBACK;
}

export class TransactionProducer {
  readonly producer: Producer;
  readonly clientId: string;
  private readonly options: TransactionProducerOptions;
  private readonly remoting: RemotingClient;
  private readonly clock: Clock;
  private readonly instance: MQClientInstance | undefined;
  private readonly ownsInstance: boolean;
  /** brokers this producer heartbeats to itself (direct mode) */
  private readonly brokerAddrs = new Set<string>();
  private heartbeatTimer: Timer | undefined;
  private checksInFlight = 0;
  private closed = false;
  /** CHECK_TRANSACTION_STATE requests answered, and dropped (holder full or undecodable) */
  checksAnswered = 0;
  checksDropped = 0;

  constructor(options: TransactionProducerOptions) {
    this.options = options;
    const onCheck = (address: string, command: RemotingCommand) => {
      if (command.code === RequestCode.CHECK_TRANSACTION_STATE) void this.checkTransactionState(address, command);
    };
    if (options.clientInstance || options.namesrvAddr) {
      this.instance = options.clientInstance ?? new MQClientInstance({
        namesrvAddr: options.namesrvAddr!,
        heartbeatBrokerIntervalMs: options.heartbeatBrokerIntervalMs,
        clock: options.clock,
        transport: options.transport,
        credentials: options.credentials,
      });
      this.clock = this.instance.clock;
      this.ownsInstance = !options.clientInstance;
      this.instance.onRequest(RequestCode.CHECK_TRANSACTION_STATE, onCheck);
      this.remoting = this.instance.remoting;
      this.clientId = this.instance.clientId;
      this.producer = new Producer({ ...options, clientInstance: this.instance });
    } else {
      this.ownsInstance = false;
      this.clock = options.clock ?? systemClock;
      this.remoting = new RemotingClient(onCheck, this.clock, options.transport, options.credentials);
      this.clientId = `127.0.0.1@${process.pid}#${options.producerId}`;
      if (options.brokerAddr) this.brokerAddrs.add(options.brokerAddr);
      this.producer = new Producer(options);
    }
  }

  get producerGroup(): string {
    return this.options.producerGroup;
  }

  /** Sends the first heartbeats (so check-backs can find this producer) and starts the periodic ones. */
  async start(): Promise<void> {
    if (this.instance) {
      await this.instance.sendHeartbeatToAllBrokers();
      return;
    }
    await this.sendHeartbeats();
    this.heartbeatTimer ??= this.clock.setInterval(() => void this.sendHeartbeats(), this.options.heartbeatBrokerIntervalMs ?? HEARTBEAT_BROKER_INTERVAL_MS).unref();
  }

  /**
   * Sends `message` as a half message, runs the local transaction on SEND_OK and ends the
   * transaction with its verdict (oneway). Rejects only when the send itself failed.
   */
  async sendMessageInTransaction(message: Message, executeLocalTransaction: LocalTransactionExecutor): Promise<TransactionSendResult> {
    const properties: Record<string, string> = { ...(message.properties ?? {}) };
    delete properties[MessageProperty.DELAY]; // a transactional message cannot be delayed
    properties[MessageProperty.TRAN_MSG] = 'true';
    properties[MessageProperty.PGROUP] = this.options.producerGroup;
    const half: Message = { ...message, properties };
    const sendResult = await this.producer.send(half);
    const brokerAddr = this.brokerAddrOf(sendResult);
    await this.heartbeatIfNew(brokerAddr);

    let localTransactionState: LocalTransactionState = LocalTransactionState.ROLLBACK_MESSAGE;
    let localException: unknown;
    if (sendResult.sendStatus === 'SEND_OK') {
      localTransactionState = LocalTransactionState.UNKNOW;
      try {
        const verdict = await executeLocalTransaction(half, { msgId: sendResult.msgId, sendResult });
        localTransactionState = isLocalTransactionState(verdict) ? verdict : LocalTransactionState.UNKNOW;
      } catch (error) {
        localException = error;
      }
    }
    await this.endTransaction(brokerAddr, sendResult, localTransactionState, localException);
    return { sendResult, localTransactionState, transactionId: sendResult.msgId };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.heartbeatTimer?.cancel();
    await this.producer.close();
    if (this.instance) {
      if (this.ownsInstance) await this.instance.shutdown([{ producerGroup: this.options.producerGroup }]);
      return;
    }
    await Promise.all([...this.brokerAddrs].map((addr) =>
      this.remoting.invoke(addr, createRequest(RequestCode.UNREGISTER_CLIENT, { clientID: this.clientId, producerGroup: this.options.producerGroup }), 1000).catch(() => undefined)));
    this.remoting.close();
  }

  /** The broker that stored the half: the store host in its offsetMsgId (else the configured broker). */
  private brokerAddrOf(sendResult: SendResult): string {
    const parsed = parseOffsetMsgId(sendResult.offsetMsgId);
    if (parsed) return `${parsed.storeHost.ip}:${parsed.storeHost.port}`;
    if (this.options.brokerAddr) return this.options.brokerAddr;
    throw new Error(`send result of ${sendResult.msgId} has no usable offsetMsgId (${sendResult.offsetMsgId || 'empty'}): cannot end the transaction`);
  }

  private async heartbeatIfNew(brokerAddr: string): Promise<void> {
    if (this.instance) {
      if (!this.instance.allBrokerAddresses().includes(brokerAddr)) return;
      if (this.brokerAddrs.has(brokerAddr)) return;
      this.brokerAddrs.add(brokerAddr);
      await this.instance.sendHeartbeatToAllBrokers();
      return;
    }
    if (this.brokerAddrs.has(brokerAddr)) return;
    this.brokerAddrs.add(brokerAddr);
    await this.sendHeartbeats([brokerAddr]);
  }

  /** HEART_BEAT (34) with this producer's group, to each broker (direct mode). */
  private async sendHeartbeats(addrs: Iterable<string> = this.brokerAddrs): Promise<void> {
    const data: HeartbeatData = { clientID: this.clientId, producerDataSet: [{ groupName: this.options.producerGroup }], consumerDataSet: [] };
    const body = Buffer.from(JSON.stringify(data));
    await Promise.all([...addrs].map(async (addr) => {
      try {
        const response = await this.remoting.invoke(addr, createRequest(RequestCode.HEART_BEAT, {}, body), 3000);
        if (response.code !== ResponseCode.SUCCESS) console.warn(`[TransactionProducer] heartbeat to ${addr} refused: ${response.remark ?? response.code}`);
      } catch (error) {
        console.warn(`[TransactionProducer] heartbeat to ${addr} failed: ${(error as Error).message}`);
      }
    }));
  }

  /** DefaultMQProducerImpl.endTransaction: oneway; a failure is logged, never thrown (the check-back covers it). */
  private async endTransaction(brokerAddr: string, sendResult: SendResult, state: LocalTransactionState, localException: unknown): Promise<void> {
    const parsed = parseOffsetMsgId(sendResult.offsetMsgId);
    const request = createRequest(RequestCode.END_TRANSACTION, {
      producerGroup: this.options.producerGroup,
      tranStateTableOffset: sendResult.queueOffset,
      commitLogOffset: parsed?.commitLogOffset ?? -1,
      commitOrRollback: COMMIT_OR_ROLLBACK[state],
      fromTransactionCheck: false,
      msgId: sendResult.msgId,
      transactionId: sendResult.msgId,
    });
    if (localException !== undefined) request.remark = `executeLocalTransactionBranch exception: ${String(localException)}`;
    try {
      await this.remoting.invokeOneway(brokerAddr, request, 3000);
    } catch (error) {
      console.warn(`[TransactionProducer] local transaction ${sendResult.msgId} is ${state}, but END_TRANSACTION to ${brokerAddr} failed: ${(error as Error).message}`);
    }
  }

  /** ClientRemotingProcessor.checkTransactionState → processTransactionState. */
  private async checkTransactionState(brokerAddr: string, command: RemotingCommand): Promise<void> {
    if (this.closed) return;
    if (this.checksInFlight >= CHECK_REQUEST_HOLD_MAX) {
      this.checksDropped++;
      return;
    }
    let message: MessageExt;
    try {
      message = decodeMessageRecord(command.body ?? Buffer.alloc(0), 0, { copyBody: true });
    } catch (error) {
      this.checksDropped++;
      console.warn(`[TransactionProducer] CHECK_TRANSACTION_STATE from ${brokerAddr} has an undecodable body: ${(error as Error).message}`);
      return;
    }
    this.checksInFlight++;
    try {
      let state: LocalTransactionState = LocalTransactionState.UNKNOW;
      let remark: string | undefined;
      try {
        const verdict = await this.options.checkLocalTransaction(message);
        if (isLocalTransactionState(verdict)) state = verdict;
      } catch (error) {
        remark = `checkLocalTransaction exception: ${String(error)}`;
      }
      const uniqKey = message.properties.get(MessageProperty.UNIQ_KEY) ?? message.msgId;
      const request = createRequest(RequestCode.END_TRANSACTION, {
        producerGroup: this.options.producerGroup,
        tranStateTableOffset: extNumber(command, 'tranStateTableOffset') ?? message.queueOffset,
        commitLogOffset: extNumber(command, 'commitLogOffset') ?? message.commitLogOffset,
        commitOrRollback: COMMIT_OR_ROLLBACK[state],
        fromTransactionCheck: true,
        msgId: uniqKey,
        transactionId: extString(command, 'transactionId') ?? uniqKey,
      });
      if (remark) request.remark = remark;
      if (this.closed) return;
      await this.remoting.invokeOneway(brokerAddr, request, 3000);
      this.checksAnswered++;
    } catch (error) {
      console.warn(`[TransactionProducer] answering a check from ${brokerAddr} failed: ${(error as Error).message}`);
    } finally {
      this.checksInFlight--;
    }
  }
}
