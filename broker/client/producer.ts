/**
 * A producer that speaks SEND_MESSAGE_V2 (C/impl/producer/DefaultMQProducerImpl.java sendDefaultImpl,
 * in outline). Every message is stamped with a UNIQ_KEY (kept across retries), the producer's id
 * and a sequence number per queue, so the consumer side can find every gap.
 *
 * Sync: up to 1 + retryTimesWhenSendFailed attempts on exceptions, all inside one sendMsgTimeout
 * budget; a non-OK SendStatus is returned, not retried (unless retryAnotherBrokerWhenNotStoreOK). A
 * retry moves to another broker group when there is one; with sendLatencyFaultEnable every queue choice
 * avoids the groups that answered slowly or failed lately (latency-fault.ts).
 * Async: the same, with retryTimesWhenSendAsyncFailed, and the result goes to a callback.
 * Oneway: one attempt, no answer.
 */
import { AUTO_CREATE_TOPIC_KEY_TOPIC, MessageProperty, MessageSysFlag, RequestCode, responseCodeName, responseCodeToSendStatus, retryableResponseCodes, type SendStatus } from '../protocol/codes.js';
import { createRequest } from '../protocol/remoting-command.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import { ZerolossError } from '../errors/errors.js';
import { systemClock, type Clock } from '../io/clock.js';
import type { Transport } from '../io/transport.js';
import { MessageClientIDSetter, processMessageClientIDSetter } from './message-id.js';
import { messageProperties2String } from '../protocol/message-record.js';
import { MQClientInstance } from './mq-client-instance.js';
import type { LabBug } from '../lab-bugs.js';
import { LatencyFaultTolerance } from './latency-fault.js';
import type { SessionCredentials } from '../acl/acl-signature.js';
import type { TopicRouteData } from '../namesrv/route-info-manager.js';

/** A queue a producer can write to: the broker group's name, its master's address, the queue id. */
export interface PublishQueue {
  brokerName: string;
  brokerAddr: string;
  queueId: number;
}

/** The broker group name used when a producer addresses one broker directly. */
const DIRECT_BROKER_NAME = 'direct';

export interface ProducerOptions {
  producerGroup: string;
  /** stamped on every message as ZL_PRODUCER */
  producerId: string;
  /** name servers to find brokers through (`host:port;host:port`) */
  namesrvAddr?: string;
  /** or one broker addressed directly, with the topic's write-queue count (no name server) */
  brokerAddr?: string;
  writeQueueNums?: number;
  /** share a client instance (and its heartbeats) with other producers and consumers of this process */
  clientInstance?: MQClientInstance;
  sendMsgTimeout?: number;
  retryTimesWhenSendFailed?: number;
  retryTimesWhenSendAsyncFailed?: number;
  retryAnotherBrokerWhenNotStoreOK?: boolean;
  /** avoid broker groups that answered slowly or failed lately (MQFaultStrategy); RocketMQ 4.x's default is false */
  sendLatencyFaultEnable?: boolean;
  /**
   * reach a broker at another address than its route says: route address → address to dial (a fault
   * proxy in front of the broker's client port). Routes, heartbeats and everything else are unchanged.
   */
  brokerAddressMap?: Record<string, string>;
  /** deliberate bugs switched on in this process (broker/lab-bugs.ts); only producer-ignores-status lives here */
  labBugs?: readonly LabBug[];
  /** an ACL account's keys: every request is signed with them (with a clientInstance, the instance's are used) */
  credentials?: SessionCredentials;
  /** time for bornTimestamp, UNIQ_KEY and the sendMsgTimeout budget; with a clientInstance, the instance's clock is used */
  clock?: Clock;
  /** the network for the connections to brokers and name servers; with a clientInstance, the instance's is used */
  transport?: Transport;
  /** UNIQ_KEY generator; the process's by default (a simulation passes one built from its seeded random source) */
  messageClientIDSetter?: MessageClientIDSetter;
}

export interface Message {
  topic: string;
  body: Buffer;
  tags?: string;
  keys?: string;
  /** queue to use; round-robin when absent */
  queueId?: number;
  properties?: Record<string, string>;
}

export interface SendResult {
  sendStatus: SendStatus;
  brokerName: string;
  /** UNIQ_KEY */
  msgId: string;
  offsetMsgId: string;
  queueId: number;
  queueOffset: number;
  seq: number;
  attempts: number;
}

interface Prepared {
  message: Message;
  /** the queue chosen first; a retry may move to another broker's queue */
  queue: PublishQueue;
  queueId: number;
  seq: number;
  uniqKey: string;
  properties: string;
}

export class Producer {
  private readonly client: RemotingClient;
  private readonly clock: Clock;
  private readonly idSetter: MessageClientIDSetter;
  private readonly instance: MQClientInstance | undefined;
  private readonly ownsInstance: boolean;
  private readonly seqByQueue = new Map<string, number>();
  /** the writable queues of each route the client instance holds (a refresh brings a new route object) */
  private readonly publishInfo = new WeakMap<TopicRouteData, readonly PublishQueue[]>();
  private roundRobin = 0;
  readonly options: Required<Omit<ProducerOptions, 'namesrvAddr' | 'brokerAddr' | 'clientInstance' | 'brokerAddressMap' | 'labBugs' | 'clock' | 'transport' | 'messageClientIDSetter' | 'credentials'>> & Pick<ProducerOptions, 'namesrvAddr' | 'brokerAddr' | 'brokerAddressMap'>;
  /** lab bug producer-ignores-status (broker/lab-bugs.ts) */
  private readonly ignoresStatus: boolean;
  /** the groups avoided after slow or failed attempts (used only with sendLatencyFaultEnable) */
  private readonly faults: LatencyFaultTolerance;

  constructor(options: ProducerOptions) {
    const { clientInstance, labBugs, clock, transport, messageClientIDSetter, credentials, ...rest } = options;
    this.ignoresStatus = labBugs?.includes('producer-ignores-status') ?? false;
    this.options = {
      writeQueueNums: 4,
      sendMsgTimeout: 3000,
      retryTimesWhenSendFailed: 2,
      retryTimesWhenSendAsyncFailed: 2,
      retryAnotherBrokerWhenNotStoreOK: false,
      sendLatencyFaultEnable: false,
      ...rest,
    };
    if (!options.namesrvAddr && !options.brokerAddr && !clientInstance) throw new Error('a producer needs namesrvAddr, brokerAddr or a clientInstance');
    this.instance = clientInstance ?? (options.namesrvAddr ? new MQClientInstance({ namesrvAddr: options.namesrvAddr, clock, transport, credentials }) : undefined);
    this.clock = this.instance?.clock ?? clock ?? systemClock;
    this.idSetter = messageClientIDSetter ?? processMessageClientIDSetter();
    this.ownsInstance = !clientInstance && this.instance !== undefined;
    this.instance?.registerProducer(options.producerGroup);
    this.instance?.start();
    this.client = this.instance?.remoting ?? new RemotingClient(undefined, this.clock, transport, credentials);
    this.faults = new LatencyFaultTolerance(this.clock);
  }

  /** The broker groups this producer avoids now (sendLatencyFaultEnable), with when each is back in the choice. */
  avoidedBrokers(): ReturnType<LatencyFaultTolerance['avoided']> {
    return this.faults.avoided();
  }

  /** The queues of a topic this producer may write to: writable queues of groups with a live master. */
  async publishQueues(topic: string, refresh = false): Promise<readonly PublishQueue[]> {
    if (!this.instance) {
      return Array.from({ length: this.options.writeQueueNums }, (_, queueId) => ({ brokerName: DIRECT_BROKER_NAME, brokerAddr: this.options.brokerAddr!, queueId }));
    }
    return this.publishInfoOf(await this.instance.route(topic, refresh));
  }

  /** The writable queues of the route the client instance holds now, without a promise (undefined: none held yet). */
  private heldPublishQueues(topic: string): readonly PublishQueue[] | undefined {
    const route = this.instance?.cachedRoutes().get(topic);
    return route && this.publishInfoOf(route);
  }

  private publishInfoOf(route: TopicRouteData): readonly PublishQueue[] {
    let queues = this.publishInfo.get(route);
    if (!queues) {
      queues = topicPublishInfo(route, this.options.brokerAddressMap);
      this.publishInfo.set(route, queues);
    }
    return queues;
  }

  /** Sync send: resolves with the SendResult (any SendStatus), rejects when every attempt failed. */
  async send(message: Message): Promise<SendResult> {
    const prepared = await this.prepare(message);
    try {
      return await this.sendWithRetries(prepared, 1 + this.options.retryTimesWhenSendFailed);
    } catch (error) {
      // The message was stamped: its id rides along so a ledger can follow a failed send (it may still be stored).
      throw Object.assign(error as Error, { msgId: prepared.uniqKey, queueId: prepared.queueId, seq: prepared.seq });
    }
  }

  /**
   * Async send: the message is stamped at once (its id and sequence number are returned), and the
   * callback gets the result or the error, exactly once.
   */
  async sendAsync(message: Message, callback: (error: Error | null, result?: SendResult) => void): Promise<{ msgId: string; queueId: number; seq: number }> {
    const prepared = await this.prepare(message);
    this.sendWithRetries(prepared, 1 + this.options.retryTimesWhenSendAsyncFailed).then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
    return { msgId: prepared.uniqKey, queueId: prepared.queueId, seq: prepared.seq };
  }

  /** Oneway: written to the socket, nothing comes back. */
  async sendOneway(message: Message): Promise<{ msgId: string; queueId: number; seq: number }> {
    const prepared = await this.prepare(message);
    await this.client.invokeOneway(prepared.queue.brokerAddr, this.request(prepared, prepared.queue), this.options.sendMsgTimeout);
    return { msgId: prepared.uniqKey, queueId: prepared.queueId, seq: prepared.seq };
  }

  async close(): Promise<void> {
    if (this.ownsInstance) await this.instance!.shutdown([{ producerGroup: this.options.producerGroup }]);
    else if (!this.instance) this.client.close();
  }

  /** Picks a queue (round-robin, avoiding `avoidBroker` when another exists) and stamps the message. */
  private async prepare(message: Message): Promise<Prepared> {
    let queues = this.heldPublishQueues(message.topic) ?? (await this.publishQueues(message.topic));
    // tryToFindTopicPublishInfo: a route without a writable queue is fetched again from the name server (a failover may have moved the master).
    if (queues.length === 0 && this.instance) queues = await this.publishQueues(message.topic, true);
    if (queues.length === 0) throw new ZerolossError('BROKER_RETRIABLE', `topic ${message.topic} has no writable queue on a live master`);
    const queue = message.queueId !== undefined
      ? queues.find((q) => q.queueId === message.queueId) ?? queues[message.queueId % queues.length]
      : this.selectQueue(queues, undefined);
    const queueId = queue.queueId;
    const seqKey = `${queue.brokerName}:${queueId}`;
    const seq = (this.seqByQueue.get(seqKey) ?? 0) + 1;
    this.seqByQueue.set(seqKey, seq);
    const uniqKey = this.idSetter.createUniqId(this.clock.nowMs());
    const props = message.properties ? new Map<string, string>(Object.entries(message.properties)) : new Map<string, string>();
    if (message.tags) props.set(MessageProperty.TAGS, message.tags);
    if (message.keys) props.set(MessageProperty.KEYS, message.keys);
    props.set(MessageProperty.WAIT, 'true');
    props.set(MessageProperty.UNIQ_KEY, uniqKey);
    props.set(MessageProperty.ZL_PRODUCER, this.options.producerId);
    props.set(MessageProperty.ZL_SEQ, String(seq));
    props.set(MessageProperty.ZL_QUEUE, seqKey);
    const properties = messageProperties2String(props);
    return { message, queue, queueId, seq, uniqKey, properties };
  }

  private request(prepared: Prepared, queue: PublishQueue) {
    return createRequest(RequestCode.SEND_MESSAGE_V2, {
      a: this.options.producerGroup,
      b: prepared.message.topic,
      c: AUTO_CREATE_TOPIC_KEY_TOPIC,
      d: this.options.writeQueueNums,
      e: queue.queueId,
      // TRAN_MSG=true marks a transaction's half message (DefaultMQProducerImpl.sendKernelImpl).
      f: prepared.message.properties?.[MessageProperty.TRAN_MSG] === 'true' ? MessageSysFlag.TRANSACTION_PREPARED_TYPE : 0,
      g: this.clock.nowMs(),
      h: 0,
      i: prepared.properties,
      j: 0,
      k: false,
    }, prepared.message.body);
  }

  /**
   * The first attempt uses the queue chosen at prepare; a retry keeps the same message (and id) but
   * moves to a queue of another broker group when there is one (selectOneMessageQueue(lastBrokerName)).
   */
  private async retryQueue(prepared: Prepared, lastBrokerName: string): Promise<PublishQueue> {
    if (!this.instance) return prepared.queue;
    const queues = await this.publishQueues(prepared.message.topic, true).catch(() => [] as PublishQueue[]);
    return queues.length > 0 ? this.selectQueue(queues, lastBrokerName) : prepared.queue;
  }

  /**
   * selectOneMessageQueue: round-robin over the writable queues. With sendLatencyFaultEnable, the
   * first queue of a group not avoided now; when every group is avoided, a queue of the least bad
   * one. Without it, a retry takes a queue of another group than the last one when there is one.
   */
  private selectQueue(queues: readonly PublishQueue[], lastBrokerName: string | undefined): PublishQueue {
    if (this.options.sendLatencyFaultEnable) {
      for (let i = 0; i < queues.length; i++) {
        const queue = queues[this.roundRobin++ % queues.length]!;
        if (this.faults.isAvailable(queue.brokerName)) return queue;
      }
      const notBest = this.faults.pickOneAtLeast();
      const ofIt = queues.filter((q) => q.brokerName === notBest);
      if (ofIt.length > 0) return ofIt[this.roundRobin++ % ofIt.length]!;
      if (notBest !== undefined) this.faults.remove(notBest);
      return queues[this.roundRobin++ % queues.length]!;
    }
    const others = lastBrokerName === undefined ? queues : queues.filter((q) => q.brokerName !== lastBrokerName);
    const pool = others.length > 0 ? others : queues;
    return pool[this.roundRobin++ % pool.length]!;
  }

  private async sendWithRetries(prepared: Prepared, timesTotal: number): Promise<SendResult> {
    const started = this.clock.monotonicMs();
    let lastError: Error | undefined;
    let lastResult: SendResult | undefined;
    let queue = prepared.queue;
    for (let attempt = 1; attempt <= timesTotal; attempt++) {
      if (attempt > 1) queue = await this.retryQueue(prepared, queue.brokerName);
      const remaining = this.options.sendMsgTimeout - (this.clock.monotonicMs() - started);
      if (remaining <= 0) {
        throw new ZerolossError('SEND_TIMEOUT', `sendMsgTimeout of ${this.options.sendMsgTimeout} ms ran out after ${attempt - 1} attempt(s)`, { cause: lastError });
      }
      const attemptStarted = this.clock.monotonicMs();
      try {
        const response = await this.client.invoke(queue.brokerAddr, this.request(prepared, queue), remaining);
        // updateFaultItem(brokerName, latency, false): any answer counts by its latency.
        if (this.options.sendLatencyFaultEnable) this.faults.update(queue.brokerName, this.clock.monotonicMs() - attemptStarted, false);
        const told = responseCodeToSendStatus[response.code];
        // Lab bug producer-ignores-status (broker/lab-bugs.ts): any SendStatus is taken for SEND_OK.
        const sendStatus = told !== undefined && this.ignoresStatus ? 'SEND_OK' : told;
        if (sendStatus === undefined) {
          const retriable = retryableResponseCodes.has(response.code);
          throw new ZerolossError(retriable ? 'BROKER_RETRIABLE' : 'BROKER_ERROR',
            `broker answered ${responseCodeName(response.code)} (${response.code})${response.remark ? `: ${response.remark}` : ''}`,
            { responseCode: response.code });
        }
        lastResult = {
          sendStatus,
          brokerName: queue.brokerName,
          msgId: prepared.uniqKey,
          offsetMsgId: String(response.extFields?.msgId ?? ''),
          queueId: Number(response.extFields?.queueId ?? queue.queueId),
          queueOffset: Number(response.extFields?.queueOffset ?? -1),
          seq: prepared.seq,
          attempts: attempt,
        };
        if (sendStatus === 'SEND_OK' || !this.options.retryAnotherBrokerWhenNotStoreOK) return lastResult;
      } catch (error) {
        lastError = error as Error;
        // A failed attempt isolates its group (updateFaultItem(brokerName, 30 s, true)).
        if (this.options.sendLatencyFaultEnable) this.faults.update(queue.brokerName, this.clock.monotonicMs() - attemptStarted, true);
        if (!(error instanceof ZerolossError) || !error.retriable) throw error;
      }
    }
    if (lastResult) return lastResult;
    throw lastError ?? new Error('send failed');
  }
}

/**
 * topicRouteData2TopicPublishInfo: the writable queues of a route, groups in brokerName order
 * (String.compareTo's, code units), each group's master address mapped through `addressMap`.
 */
function topicPublishInfo(route: TopicRouteData, addressMap: Record<string, string> | undefined): readonly PublishQueue[] {
  const queues: PublishQueue[] = [];
  for (const q of [...route.queueDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0))) {
    const master = route.brokerDatas.find((b) => b.brokerName === q.brokerName)?.brokerAddrs['0'];
    if (!master || (q.perm & 2) === 0) continue;
    const brokerAddr = addressMap?.[master] ?? master;
    for (let queueId = 0; queueId < q.writeQueueNums; queueId++) queues.push({ brokerName: q.brokerName, brokerAddr, queueId });
  }
  return Object.freeze(queues);
}
