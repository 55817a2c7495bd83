/**
 * PULL_MESSAGE (11) with long polling: B/processor/PullMessageProcessor.java and
 * B/longpolling/PullRequestHoldService.java in outline.
 *
 * A pull that finds nothing and carries the suspend flag is held until a message is dispatched to
 * its queue or its suspend timeout passes (at most BROKER_SUSPEND_MAX_MS), then answered again —
 * never a busy loop of empty answers. Every answer carries nextBeginOffset, minOffset, maxOffset
 * and suggestWhichBrokerId (ali-ons needs all four on every status).
 */
import { BrokerRole } from '../config/broker-config.js';
import type { Clock, Timer } from '../io/clock.js';
import { PullSysFlag, ResponseCode } from '../protocol/codes.js';
import { createResponse, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import type { DefaultMessageStore } from '../store/message-store.js';
import { GetMessageStatus, type GetMessageResult } from '../store/types.js';

/** docs/rocketmq-semantics.md#long-polling: held pulls must be answered before ~15 s (the client times out at 30 s). */
export const BROKER_SUSPEND_MAX_MS = 15_000;
/** A bound on held pulls; past it a pull is answered PULL_NOT_FOUND at once. */
export const MAX_HELD_PULLS = 10_000;

interface HeldPull {
  queueOffset: number;
  timer: Timer;
  wake(): void;
}

/** Held pulls by topic@queueId, woken by the dispatcher. */
export class PullRequestHoldService {
  private readonly held = new Map<string, Set<HeldPull>>();
  private count = 0;
  /** queues whose held pulls wake at the end of this turn, with the highest max offset dispatched */
  private readonly arrived = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.count;
  }

  /** Resolves when a message may be there for this pull, or when the timeout passes. */
  hold(topic: string, queueId: number, queueOffset: number, timeoutMs: number): Promise<void> | null {
    if (this.count >= MAX_HELD_PULLS) return null;
    const key = `${topic}@${queueId}`;
    let set = this.held.get(key);
    if (!set) this.held.set(key, (set = new Set()));
    const bucket = set;
    return new Promise<void>((resolve) => {
      const entry: HeldPull = {
        queueOffset,
        timer: this.clock.setTimeout(() => entry.wake(), timeoutMs),
        wake: () => {
          entry.timer.cancel();
          if (bucket.delete(entry)) this.count--;
          if (bucket.size === 0 && this.held.get(key) === bucket) this.held.delete(key);
          resolve();
        },
      };
      bucket.add(entry);
      this.count++;
    });
  }

  /**
   * A message was dispatched: wake every pull of that queue that was waiting below maxOffset, at the
   * end of the turn. RocketMQ dispatches after the put has returned (its reput thread), so a
   * producer's SEND_OK goes out before a long-polling consumer gets the message; this broker
   * dispatches inside the put, and waking the pulls at once answered the consumer first, over the
   * same connection when one client both sends and consumes (ali-ons's own suite matches a delivery
   * against the msgId its send returned, and lost that race most of the time).
   */
  notifyMessageArriving(topic: string, queueId: number, maxOffset: number): void {
    const key = `${topic}@${queueId}`;
    if (!this.held.has(key)) return;
    const first = this.arrived.size === 0;
    this.arrived.set(key, Math.max(maxOffset, this.arrived.get(key) ?? 0));
    if (first) this.clock.atEndOfTurn(() => this.wakeArrived());
  }

  private wakeArrived(): void {
    const arrived = [...this.arrived];
    this.arrived.clear();
    for (const [key, maxOffset] of arrived) {
      for (const entry of [...(this.held.get(key) ?? [])]) if (entry.queueOffset < maxOffset) entry.wake();
    }
  }

  shutdown(): void {
    for (const set of this.held.values()) for (const entry of [...set]) entry.wake();
  }
}

export interface PullTarget {
  store: DefaultMessageStore;
  holdService: PullRequestHoldService;
  role(): BrokerRole;
  /** the brokerId a client should pull from next (0 = master) */
  suggestWhichBrokerId(): number;
}

export function createPullMessageProcessor(target: PullTarget) {
  return async (request: RemotingCommand): Promise<RemotingCommand> => {
    const group = extString(request, 'consumerGroup');
    const topic = extString(request, 'topic');
    const queueId = extNumber(request, 'queueId');
    const queueOffset = extNumber(request, 'queueOffset');
    if (!group || !topic || queueId === undefined || queueOffset === undefined) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'pull header needs consumerGroup, topic, queueId and queueOffset' });
    }
    const topicConfig = target.store.topics.selectTopicConfig(topic);
    if (!topicConfig) {
      return createResponse(request, ResponseCode.TOPIC_NOT_EXIST, { remark: `topic[${topic}] not exist, apply first please!` });
    }
    if (queueId < 0 || queueId >= topicConfig.readQueueNums) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${topicConfig.readQueueNums}]` });
    }
    const sysFlag = extNumber(request, 'sysFlag') ?? 0;
    const maxMsgNums = Math.max(1, extNumber(request, 'maxMsgNums') ?? 32);
    const commitOffset = extNumber(request, 'commitOffset') ?? -1;
    const isMaster = target.role() !== BrokerRole.SLAVE;
    // The consumer's progress rides on the pull; a slave ignores it (4.x).
    if (isMaster && (sysFlag & PullSysFlag.COMMIT_OFFSET) !== 0 && commitOffset >= 0) {
      target.store.consumerOffsets.commitOffset(group, topic, queueId, commitOffset);
    }
    const suspend = (sysFlag & PullSysFlag.SUSPEND) !== 0;
    const suspendMs = Math.min(BROKER_SUSPEND_MAX_MS, Math.max(0, extNumber(request, 'suspendTimeoutMillis') ?? BROKER_SUSPEND_MAX_MS));

    let result = target.store.getMessage(topic, queueId, queueOffset, maxMsgNums);
    if (suspend && suspendMs > 0 && waitsForMessages(result)) {
      const held = target.holdService.hold(topic, queueId, queueOffset, suspendMs);
      if (held) {
        await held;
        result = target.store.getMessage(topic, queueId, queueOffset, maxMsgNums);
      }
    }
    return answer(request, result, queueOffset, isMaster, target.suggestWhichBrokerId());
  };
}

/** Nothing there yet, but the offset is where the next message will land. */
function waitsForMessages(result: GetMessageResult): boolean {
  return result.status === GetMessageStatus.OFFSET_OVERFLOW_ONE
    || (result.status === GetMessageStatus.NO_MESSAGE_IN_QUEUE && result.nextBeginOffset === 0)
    || result.status === GetMessageStatus.NO_MATCHED_LOGIC_QUEUE;
}

function answer(request: RemotingCommand, result: GetMessageResult, queueOffset: number, isMaster: boolean, suggestWhichBrokerId: number): RemotingCommand {
  const ext = {
    nextBeginOffset: result.nextBeginOffset,
    minOffset: result.minOffset,
    maxOffset: result.maxOffset,
    suggestWhichBrokerId,
  };
  const range = `[${result.minOffset}, ${result.maxOffset})`;
  switch (result.status) {
    case GetMessageStatus.FOUND:
      return createResponse(request, ResponseCode.SUCCESS, { extFields: ext, body: Buffer.concat(result.records) });
    case GetMessageStatus.NO_MATCHED_MESSAGE:
      return createResponse(request, ResponseCode.PULL_RETRY_IMMEDIATELY, { extFields: ext });
    case GetMessageStatus.OFFSET_OVERFLOW_ONE:
      return createResponse(request, ResponseCode.PULL_NOT_FOUND, { extFields: ext });
    case GetMessageStatus.NO_MESSAGE_IN_QUEUE:
    case GetMessageStatus.NO_MATCHED_LOGIC_QUEUE:
      if (queueOffset === 0) return createResponse(request, ResponseCode.PULL_NOT_FOUND, { extFields: { ...ext, nextBeginOffset: 0 } });
      return createResponse(request, ResponseCode.PULL_OFFSET_MOVED, { extFields: { ...ext, nextBeginOffset: 0 }, remark: `offset ${queueOffset} is out of range ${range}: the queue is empty` });
    case GetMessageStatus.OFFSET_TOO_SMALL:
    case GetMessageStatus.OFFSET_OVERFLOW_BADLY:
      if (!isMaster) return createResponse(request, ResponseCode.PULL_RETRY_IMMEDIATELY, { extFields: ext });
      return createResponse(request, ResponseCode.PULL_OFFSET_MOVED, { extFields: ext, remark: `offset ${queueOffset} is out of range ${range}; continue at ${result.nextBeginOffset}` });
  }
}
