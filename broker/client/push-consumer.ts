/**
 * A clustering push consumer (C/impl/consumer/DefaultMQPushConsumerImpl.java and
 * ConsumeMessageConcurrentlyService.java in outline, docs/rocketmq-semantics.md#concurrent-consumption):
 *
 *   rebalance (AllocateMessageQueueAveragely, every rebalanceIntervalMs and on NOTIFY_CONSUMER_IDS_CHANGED)
 *     → per assigned queue: offset from the broker, then a long-polling PULL_MESSAGE loop
 *     → ProcessQueue → listener → CONSUME_SUCCESS removes the message and advances the offset to the
 *       smallest offset still in flight; RECONSUME_LATER (or a throw) sends it back to %RETRY%<group>
 *       (CONSUMER_SEND_MSG_BACK), else re-consumes it locally after 5 s
 *     → offsets committed every persistConsumerOffsetIntervalMs, on pulls, on rebalance and on shutdown.
 *
 * ackMode 'before-processing' is the anti-pattern the drills show: the message counts as consumed the
 * moment it arrives and the work runs detached, so a crash mid-work loses it.
 */
import { parseRocketMQJson } from '../protocol/rocketmq-json.js';
import { MessageProperty, PullSysFlag, RETRY_GROUP_TOPIC_PREFIX, RequestCode, ResponseCode, responseCodeName } from '../protocol/codes.js';
import { createRequest, extNumber, type RemotingCommand } from '../protocol/remoting-command.js';
import { decodeMessageRecords } from '../protocol/message-record.js';
import type { Clock, Timer } from '../io/clock.js';
import type { Transport } from '../io/transport.js';
import type { MessageExt } from '../store/types.js';
import type { ConsumerData } from '../client-registry.js';
import { allocateAveragely } from './allocate-message-queue.js';
import { MQClientInstance, compareQueues, queueKey, type MessageQueue } from './mq-client-instance.js';
import { ProcessQueue } from './process-queue.js';
import type { LabBug } from '../lab-bugs.js';
import type { AckMode } from './ack-mode.js';
import type { SessionCredentials } from '../acl/acl-signature.js';

export const ConsumeStatus = { CONSUME_SUCCESS: 'CONSUME_SUCCESS', RECONSUME_LATER: 'RECONSUME_LATER' } as const;
export type ConsumeStatus = (typeof ConsumeStatus)[keyof typeof ConsumeStatus];

export interface ConsumedMessage extends MessageExt {
  /** the topic the producer sent to (restored from RETRY_TOPIC for redeliveries) */
  originTopic: string;
  /** UNIQ_KEY, or the offset msgId when absent */
  uniqKey: string;
  brokerName: string;
}

export interface PushConsumerListener {
  (message: ConsumedMessage): Promise<ConsumeStatus> | ConsumeStatus;
}

export interface PushConsumerEvents {
  delivered?(message: ConsumedMessage): void;
  consumed?(message: ConsumedMessage, status: ConsumeStatus | 'THREW', error?: Error): void;
  sentBack?(message: ConsumedMessage, ok: boolean): void;
  rebalanced?(queues: MessageQueue[]): void;
  error?(message: string): void;
}

export interface PushConsumerOptions {
  namesrvAddr?: string;
  clientInstance?: MQClientInstance;
  /** an ACL account's keys: every request is signed with them (with a clientInstance, the instance's are used) */
  credentials?: SessionCredentials;
  consumerGroup: string;
  topic: string;
  /** "*" or "tagA || tagB" */
  subExpression?: string;
  listener: PushConsumerListener;
  events?: PushConsumerEvents;
  ackMode?: AckMode;
  consumeFromWhere?: 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET';
  /** -1 = 16, as RocketMQ's concurrent consumer */
  maxReconsumeTimes?: number;
  consumeThreads?: number;
  pullBatchSize?: number;
  pullThresholdForQueue?: number;
  consumeConcurrentlyMaxSpan?: number;
  rebalanceIntervalMs?: number;
  persistConsumerOffsetIntervalMs?: number;
  /** how long the broker may hold a pull (brokerSuspendMaxTimeMillis) */
  brokerSuspendMaxTimeMillis?: number;
  /** deliberate bugs switched on in this process (broker/lab-bugs.ts); only consumer-ack-on-arrival lives here */
  labBugs?: readonly LabBug[];
  /** time for the client instance this consumer creates; with a clientInstance, the instance's clock is used */
  clock?: Clock;
  /** the network for the client instance this consumer creates; with a clientInstance, the instance's is used */
  transport?: Transport;
}

const PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION = 3000;
const PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL = 50;
const LOCAL_RECONSUME_DELAY_MS = 5000;
const CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND = 30_000;

interface QueueState {
  mq: MessageQueue;
  pq: ProcessQueue;
  nextOffset: number;
  /** the committed offset this client holds for the queue */
  offset: number;
  suggestBrokerId: number;
}

export class PushConsumer {
  readonly instance: MQClientInstance;
  private readonly ownsInstance: boolean;
  private readonly options: Required<Omit<PushConsumerOptions, 'namesrvAddr' | 'clientInstance' | 'events' | 'labBugs' | 'clock' | 'transport' | 'credentials'>>;
  private readonly clock: Clock;
  /** lab bug consumer-ack-on-arrival (broker/lab-bugs.ts) */
  private readonly acksOnArrival: boolean;
  private readonly events: PushConsumerEvents;
  private readonly queues = new Map<string, QueueState>();
  private readonly retryTopic: string;
  private running = false;
  private rebalancing: Promise<void> | undefined;
  /** a rebalance was asked for while one ran: run once more when it ends */
  private rebalanceAgain = false;
  private timers: Timer[] = [];
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: PushConsumerOptions) {
    if (!options.namesrvAddr && !options.clientInstance) throw new Error('a consumer needs namesrvAddr or a clientInstance');
    this.instance = options.clientInstance ?? new MQClientInstance({ namesrvAddr: options.namesrvAddr!, clock: options.clock, transport: options.transport, credentials: options.credentials });
    this.clock = this.instance.clock;
    this.ownsInstance = !options.clientInstance;
    this.events = options.events ?? {};
    this.acksOnArrival = options.labBugs?.includes('consumer-ack-on-arrival') ?? false;
    this.options = {
      subExpression: '*',
      ackMode: 'after-processing',
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
      maxReconsumeTimes: -1,
      consumeThreads: 20,
      pullBatchSize: 32,
      pullThresholdForQueue: 1000,
      consumeConcurrentlyMaxSpan: 2000,
      rebalanceIntervalMs: 20_000,
      persistConsumerOffsetIntervalMs: 5000,
      brokerSuspendMaxTimeMillis: 15_000,
      consumerGroup: options.consumerGroup,
      topic: options.topic,
      listener: options.listener,
      ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k !== 'labBugs' && k !== 'clock' && k !== 'transport' && k !== 'credentials')),
    } as PushConsumer['options'];
    this.retryTopic = RETRY_GROUP_TOPIC_PREFIX + options.consumerGroup;
  }

  get clientId(): string {
    return this.instance.clientId;
  }

  private get maxReconsumeTimes(): number {
    return this.options.maxReconsumeTimes < 0 ? 16 : this.options.maxReconsumeTimes;
  }

  async start(): Promise<void> {
    this.running = true;
    this.instance.registerConsumer(this.options.consumerGroup, () => this.consumerData());
    this.instance.onRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, () => void this.rebalance());
    this.instance.start();
    await this.instance.route(this.options.topic);
    await this.instance.sendHeartbeatToAllBrokers(); // creates %RETRY%<group> on the brokers
    await this.instance.route(this.retryTopic).catch(() => undefined);
    await this.rebalance();
    this.timers.push(this.clock.setInterval(() => void this.rebalance(), this.options.rebalanceIntervalMs));
    this.timers.push(this.clock.setInterval(() => void this.persistAllConsumerOffsets(), this.options.persistConsumerOffsetIntervalMs));
  }

  /** Assigned queues, for the dashboard and tests. */
  assignedQueues(): MessageQueue[] {
    return [...this.queues.values()].map((q) => q.mq).sort(compareQueues);
  }

  async shutdown(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) timer.cancel();
    this.timers = [];
    await this.rebalancing;
    for (const state of this.queues.values()) state.pq.dropped = true;
    await this.persistAllConsumerOffsets();
    this.instance.unregisterConsumer(this.options.consumerGroup);
    if (this.ownsInstance) await this.instance.shutdown([{ consumerGroup: this.options.consumerGroup }]);
  }

  // ---- rebalance ----

  /**
   * Rebalances now. A call while one runs is not absorbed into it: that one may have read the group's
   * members before the change that prompted the call (a NOTIFY_CONSUMER_IDS_CHANGED for a consumer
   * that just joined), so it runs once more when it ends, as RocketMQ's RebalanceService.wakeup()
   * makes its thread go round again. The promise resolves after that round too.
   */
  rebalance(): Promise<void> {
    if (!this.running) return Promise.resolve();
    if (this.rebalancing) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        await this.doRebalance();
      } while (this.rebalanceAgain && this.running);
    })().finally(() => {
      this.rebalancing = undefined;
    });
    return this.rebalancing;
  }

  private async doRebalance(): Promise<void> {
    const wanted: MessageQueue[] = [];
    for (const topic of [this.options.topic, this.retryTopic]) {
      try {
        const route = await this.instance.route(topic, true);
        const all: MessageQueue[] = [];
        for (const q of route.queueDatas) for (let i = 0; i < q.readQueueNums; i++) all.push({ topic, brokerName: q.brokerName, queueId: i });
        all.sort(compareQueues);
        const cids = await this.consumerIdList(all[0]?.brokerName);
        if (!cids.includes(this.clientId)) cids.push(this.clientId);
        cids.sort();
        wanted.push(...allocateAveragely(all, cids, this.clientId));
      } catch (error) {
        // No route right now (the broker is down, or the name server has not heard of it yet): keep the
        // queues already held, as RocketMQ keeps its subscribe info, rather than dropping their progress.
        wanted.push(...[...this.queues.values()].filter((q) => q.mq.topic === topic).map((q) => q.mq));
        if (topic === this.options.topic) this.events.error?.(`rebalance of ${topic} failed: ${(error as Error).message}`);
      }
    }
    const wantedKeys = new Set(wanted.map(queueKey));
    for (const [key, state] of this.queues) {
      if (wantedKeys.has(key)) continue;
      state.pq.dropped = true;
      this.queues.delete(key);
      await this.commitOffset(state);
    }
    for (const mq of wanted) {
      const key = queueKey(mq);
      if (this.queues.has(key) || !this.running) continue;
      try {
        const offset = await this.computePullFromWhere(mq);
        const state: QueueState = { mq, pq: new ProcessQueue(), nextOffset: offset, offset, suggestBrokerId: 0 };
        this.queues.set(key, state);
        void this.pullLoop(state);
      } catch (error) {
        this.events.error?.(`cannot start pulling ${key}: ${(error as Error).message}`);
      }
    }
    this.events.rebalanced?.(this.assignedQueues());
  }

  private async consumerIdList(brokerName: string | undefined): Promise<string[]> {
    if (!brokerName) return [];
    const addr = this.instance.brokerAddress(brokerName);
    if (!addr) return [];
    const response = await this.instance.remoting.invoke(addr, createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: this.options.consumerGroup }), 3000);
    if (response.code !== ResponseCode.SUCCESS) return [];
    return parseRocketMQJson<{ consumerIdList?: string[] }>(response.body?.toString('utf8') ?? '{}').consumerIdList ?? [];
  }

  /** QUERY_CONSUMER_OFFSET, else consumeFromWhere (a retry topic always starts at 0). */
  private async computePullFromWhere(mq: MessageQueue): Promise<number> {
    const addr = this.requireAddress(mq.brokerName, 0);
    const response = await this.instance.remoting.invoke(addr, createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: this.options.consumerGroup, topic: mq.topic, queueId: mq.queueId }), 5000);
    if (response.code === ResponseCode.SUCCESS) return extNumber(response, 'offset') ?? 0;
    if (response.code !== ResponseCode.QUERY_NOT_FOUND) throw new Error(`QUERY_CONSUMER_OFFSET answered ${responseCodeName(response.code)}`);
    if (mq.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || this.options.consumeFromWhere === 'CONSUME_FROM_FIRST_OFFSET') return 0;
    const max = await this.instance.remoting.invoke(addr, createRequest(RequestCode.GET_MAX_OFFSET, { topic: mq.topic, queueId: mq.queueId }), 3000);
    return extNumber(max, 'offset') ?? 0;
  }

  private requireAddress(brokerName: string, id: number): string {
    const addr = this.instance.brokerAddress(brokerName, id);
    if (!addr) throw new Error(`no address known for broker ${brokerName}`);
    return addr;
  }

  // ---- pull ----

  private async pullLoop(state: QueueState): Promise<void> {
    while (this.running && !state.pq.dropped) {
      if (state.pq.size >= this.options.pullThresholdForQueue || state.pq.span() > this.options.consumeConcurrentlyMaxSpan) {
        await this.clock.sleep(PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL);
        continue;
      }
      let response: RemotingCommand;
      try {
        const addr = this.requireAddress(state.mq.brokerName, state.suggestBrokerId);
        const commit = state.offset > 0 && this.instance.brokerAddress(state.mq.brokerName, 0, true) === addr;
        response = await this.instance.remoting.invoke(addr, createRequest(RequestCode.PULL_MESSAGE, {
          consumerGroup: this.options.consumerGroup,
          topic: state.mq.topic,
          queueId: state.mq.queueId,
          queueOffset: state.nextOffset,
          maxMsgNums: this.options.pullBatchSize,
          sysFlag: PullSysFlag.SUSPEND | PullSysFlag.SUBSCRIPTION | (commit ? PullSysFlag.COMMIT_OFFSET : 0),
          commitOffset: commit ? state.offset : 0,
          suspendTimeoutMillis: this.options.brokerSuspendMaxTimeMillis,
          subscription: this.options.subExpression,
          subVersion: this.clock.nowMs(),
          expressionType: 'TAG',
        }), CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND);
      } catch (error) {
        if (!this.running || state.pq.dropped) return;
        this.events.error?.(`pull ${queueKey(state.mq)} failed: ${(error as Error).message}`);
        await this.instance.route(state.mq.topic, true).catch(() => undefined);
        state.suggestBrokerId = 0;
        await this.clock.sleep(PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION);
        continue;
      }
      if (state.pq.dropped) return;
      state.suggestBrokerId = extNumber(response, 'suggestWhichBrokerId') ?? 0;
      const nextBeginOffset = extNumber(response, 'nextBeginOffset') ?? state.nextOffset;
      switch (response.code) {
        case ResponseCode.SUCCESS: {
          // As RocketMQ's client (PullAPIWrapper.processPullResult → MessageDecoder.decodesBatch, checkCRC
          // false): the broker checks body CRCs when it recovers its log; a pulled batch is not re-checked.
          const { messages } = decodeMessageRecords(response.body ?? Buffer.alloc(0), { copyBody: true, checkCrc: false });
          state.nextOffset = nextBeginOffset;
          const consumed = messages.map((m) => this.toConsumed(m, state.mq.brokerName));
          state.pq.putMessages(consumed);
          for (const message of consumed) void this.consume(state, message);
          break;
        }
        case ResponseCode.PULL_NOT_FOUND:
        case ResponseCode.PULL_RETRY_IMMEDIATELY:
          state.nextOffset = nextBeginOffset;
          break;
        case ResponseCode.PULL_OFFSET_MOVED:
          this.events.error?.(`offset of ${queueKey(state.mq)} moved from ${state.nextOffset} to ${nextBeginOffset}: ${response.remark ?? ''}`);
          state.nextOffset = nextBeginOffset;
          state.offset = nextBeginOffset;
          await this.commitOffset(state);
          break;
        default:
          this.events.error?.(`pull ${queueKey(state.mq)} answered ${responseCodeName(response.code)}: ${response.remark ?? ''}`);
          await this.clock.sleep(PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION);
      }
    }
  }

  /**
   * The decoded message itself, with its three fields added in one order (a copy by spread cost a
   * twentieth of a simulated run; the decoded message is this consumer's own).
   */
  private toConsumed(message: MessageExt, brokerName: string): ConsumedMessage {
    const retryTopic = message.properties.get(MessageProperty.RETRY_TOPIC);
    const consumed = message as ConsumedMessage;
    consumed.originTopic = message.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) && retryTopic ? retryTopic : message.topic;
    consumed.uniqKey = message.properties.get(MessageProperty.UNIQ_KEY) ?? message.msgId;
    consumed.brokerName = brokerName;
    return consumed;
  }

  // ---- consume ----

  private async acquire(): Promise<void> {
    if (this.inFlight < this.options.consumeThreads) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }

  private async consume(state: QueueState, message: ConsumedMessage): Promise<void> {
    this.events.delivered?.(message);
    // Lab bug consumer-ack-on-arrival (broker/lab-bugs.ts): after-processing acks on arrival too.
    if (this.options.ackMode === 'before-processing' || this.acksOnArrival) {
      // The anti-pattern: acknowledged on arrival, the work handed to the worker pool to run later.
      this.advance(state, message);
      void (async () => {
        await this.acquire();
        try {
          // Not inside `consumed?.(…)`: an optional call skips its arguments when there is no handler.
          const status = await this.options.listener(message);
          this.events.consumed?.(message, status);
        } catch (error) {
          this.events.consumed?.(message, 'THREW', error as Error);
        } finally {
          this.release();
        }
      })();
      return;
    }
    await this.acquire();
    let status: ConsumeStatus;
    try {
      status = await this.options.listener(message);
      this.events.consumed?.(message, status);
    } catch (error) {
      status = ConsumeStatus.RECONSUME_LATER; // a throw counts as RECONSUME_LATER
      this.events.consumed?.(message, 'THREW', error as Error);
    } finally {
      this.release();
    }
    if (state.pq.dropped) return;
    if (status === ConsumeStatus.CONSUME_SUCCESS) {
      this.advance(state, message);
      return;
    }
    const sentBack = await this.sendMessageBack(message);
    this.events.sentBack?.(message, sentBack);
    if (sentBack) this.advance(state, message);
    else this.clock.setTimeout(() => void this.consume(state, message), LOCAL_RECONSUME_DELAY_MS); // stays in the process queue
  }

  private advance(state: QueueState, message: MessageExt): void {
    const offset = state.pq.removeMessages([message]);
    if (offset >= 0 && offset > state.offset) state.offset = offset; // increaseOnly
  }

  /** CONSUMER_SEND_MSG_BACK to the master of the message's broker; the broker picks the delay. */
  private async sendMessageBack(message: ConsumedMessage): Promise<boolean> {
    const addr = this.instance.brokerAddress(message.brokerName, 0, true);
    if (!addr) return false;
    try {
      const response = await this.instance.remoting.invoke(addr, createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
        offset: message.commitLogOffset,
        group: this.options.consumerGroup,
        delayLevel: 0,
        originMsgId: message.uniqKey,
        originTopic: message.originTopic,
        unitMode: false,
        maxReconsumeTimes: this.maxReconsumeTimes,
      }), 5000);
      return response.code === ResponseCode.SUCCESS;
    } catch {
      return false;
    }
  }

  // ---- offsets ----

  async persistAllConsumerOffsets(): Promise<void> {
    await Promise.all([...this.queues.values()].map((state) => this.commitOffset(state)));
  }

  /** UPDATE_CONSUMER_OFFSET to the master, falling back to a slave (which stores it too). */
  private async commitOffset(state: QueueState): Promise<void> {
    if (state.offset < 0) return;
    const addr = this.instance.brokerAddress(state.mq.brokerName);
    if (!addr) return;
    await this.instance.remoting.invoke(addr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: this.options.consumerGroup, topic: state.mq.topic, queueId: state.mq.queueId, commitOffset: state.offset,
    }), 3000).catch(() => undefined);
  }

  private consumerData(): ConsumerData {
    const sub = (topic: string, subString: string) => ({ topic, subString, tagsSet: [], codeSet: [], subVersion: this.clock.nowMs() });
    return {
      groupName: this.options.consumerGroup,
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: 'CLUSTERING',
      consumeFromWhere: this.options.consumeFromWhere,
      subscriptionDataSet: [sub(this.options.topic, this.options.subExpression), sub(this.retryTopic, '*')],
      unitMode: false,
    };
  }
}
