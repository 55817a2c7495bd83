/**
 * Delay levels and ScheduleMessageService (4.x S/schedule/ScheduleMessageService.java; docs/rocketmq-semantics.md#delay-levels).
 *
 * The put path (a message with DELAY parked in SCHEDULE_TOPIC_XXXX, its delivery timestamp as
 * tagsCode) and the delay-level table are in delay-level.ts, which the store uses without this service.
 *
 * ScheduleMessageService: one loop, every SCHEDULE_POLL_INTERVAL_MS, walks each level's queue from
 * its progress offset; a due message is put again on its real topic/queue with DELAY removed and
 * the level's offset moves past it. Masters only: on a SLAVE the loop idles (the master's re-puts
 * arrive through replication). Progress is kept per level in config/delayOffset.json, written
 * atomically every FLUSH_DELAY_OFFSET_INTERVAL_MS (flushDelayOffsetInterval) and at shutdown, as
 * RocketMQ does: after a crash the messages re-put since the last write are delivered again.
 *
 *   delayOffset.json: { "offsetTable": { "1": 12, "3": 4 } }   level → next queue offset
 */
import path from 'node:path';
import type { BrokerSettings } from '../config/broker-config.js';
import { writeFileAtomicSync } from '../io/disk.js';
import { systemClock, type Clock } from '../io/clock.js';
import { MessageProperty, SCHEDULE_TOPIC } from '../protocol/codes.js';
import { FILLER_ENTRY_SIZE, type ConsumeQueue } from './consume-queue.js';
import { delayLevel2QueueId, delayLevelTable } from './delay-level.js';
import type { DefaultMessageStore } from './message-store.js';
import { ServiceThread } from './service-thread.js';
import { newTopicConfig } from './topic-config-manager.js';
import { restoreAs, type MessageExt, type MessageInner } from './types.js';

/** flushDelayOffsetInterval (MessageStoreConfig). */
export const FLUSH_DELAY_OFFSET_INTERVAL_MS = 10_000;
/** How often the loop looks for due messages (RocketMQ's DELAY_FOR_A_WHILE). */
export const SCHEDULE_POLL_INTERVAL_MS = 100;
/** Most messages one level re-puts per pass: bounds a pass however far behind it is. */
export const SCHEDULE_BATCH_MAX = 256;

/** The message a due schedule record becomes again (ScheduleMessageService.messageTimeup). */
export function messageTimeup(stored: MessageExt): MessageInner | null {
  const realTopic = stored.properties.get(MessageProperty.REAL_TOPIC);
  const realQueueId = Number(stored.properties.get(MessageProperty.REAL_QID));
  if (!realTopic || !Number.isInteger(realQueueId) || realQueueId < 0) return null;
  const properties = new Map(stored.properties);
  properties.delete(MessageProperty.DELAY);
  properties.set(MessageProperty.WAIT, 'false');
  return restoreAs(stored, realTopic, realQueueId, properties);
}

export interface ScheduleMessageServiceOptions {
  store: DefaultMessageStore;
  settings: () => BrokerSettings;
  clock?: Clock;
  /** defaults to <store>/config/delayOffset.json */
  delayOffsetPath?: string;
  /** defaults to FLUSH_DELAY_OFFSET_INTERVAL_MS */
  persistIntervalMs?: number;
  /** defaults to SCHEDULE_POLL_INTERVAL_MS */
  pollIntervalMs?: number;
}

export class ScheduleMessageService extends ServiceThread {
  readonly delayOffsetPath: string;
  /** level → next queue offset of SCHEDULE_TOPIC_XXXX queue level-1 */
  private readonly offsetTable = new Map<number, number>();
  private readonly options: ScheduleMessageServiceOptions;
  private readonly persistIntervalMs: number;
  private readonly pollIntervalMs: number;
  private lastPersistMs = 0;
  private dirty = false;
  /** messages put back on their real topic since start */
  deliveredTotal = 0;
  /** re-puts the store refused (retried on a later pass) */
  putFailuresTotal = 0;

  constructor(options: ScheduleMessageServiceOptions) {
    super('ScheduleMessageService', options.clock ?? systemClock);
    this.options = options;
    this.delayOffsetPath = options.delayOffsetPath ?? path.join(options.store.storePathRootDir, 'config', 'delayOffset.json');
    this.persistIntervalMs = options.persistIntervalMs ?? FLUSH_DELAY_OFFSET_INTERVAL_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? SCHEDULE_POLL_INTERVAL_MS;
    this.load();
  }

  /** Reads delayOffset.json (or its .bak); a level whose offset is outside its queue is corrected. */
  private load(): void {
    for (const candidate of [this.delayOffsetPath, `${this.delayOffsetPath}.bak`]) {
      if (!this.options.store.fileLayer.disk.exists(candidate)) continue;
      try {
        const parsed = JSON.parse(this.options.store.fileLayer.disk.readFile(candidate).toString('utf8')) as { offsetTable?: Record<string, number> };
        for (const [level, offset] of Object.entries(parsed.offsetTable ?? {})) {
          if (Number.isInteger(Number(level)) && Number.isInteger(offset) && offset >= 0) this.offsetTable.set(Number(level), offset);
        }
        break;
      } catch (error) {
        console.warn(`[ScheduleMessageService] cannot read ${candidate}: ${(error as Error).message}`);
      }
    }
    for (const [level, offset] of this.offsetTable) {
      const queue = this.options.store.findConsumeQueue(SCHEDULE_TOPIC, delayLevel2QueueId(level));
      if (!queue) continue;
      const corrected = Math.min(Math.max(offset, queue.minOffsetInQueue()), queue.maxOffsetInQueue());
      if (corrected !== offset) {
        console.warn(`[ScheduleMessageService] level ${level}: offset ${offset} outside [${queue.minOffsetInQueue()}, ${queue.maxOffsetInQueue()}], corrected to ${corrected}`);
        this.offsetTable.set(level, corrected);
      }
    }
  }

  override start(): void {
    const levels = delayLevelTable(this.options.settings().messageDelayLevel).length;
    const topics = this.options.store.topics;
    if (!topics.selectTopicConfig(SCHEDULE_TOPIC)) topics.updateTopicConfig(newTopicConfig(SCHEDULE_TOPIC, levels));
    this.lastPersistMs = this.clock.monotonicMs();
    super.start();
  }

  /** A copy of the progress table, level → next queue offset. */
  offsets(): Map<number, number> {
    return new Map(this.offsetTable);
  }

  /** Messages waiting in the schedule topic, per level (levels with none are left out). */
  pendingByLevel(): Map<number, number> {
    const pending = new Map<number, number>();
    const levels = delayLevelTable(this.options.settings().messageDelayLevel).length;
    for (let level = 1; level <= levels; level++) {
      const queue = this.options.store.findConsumeQueue(SCHEDULE_TOPIC, delayLevel2QueueId(level));
      if (!queue) continue;
      const waiting = queue.maxOffsetInQueue() - Math.max(this.offsetTable.get(level) ?? 0, queue.minOffsetInQueue());
      if (waiting > 0) pending.set(level, waiting);
    }
    return pending;
  }

  /** Writes delayOffset.json atomically. */
  persist(): void {
    const offsetTable = Object.fromEntries([...this.offsetTable].sort((a, b) => a[0] - b[0]));
    const disk = this.options.store.fileLayer.disk;
    disk.mkdirp(path.dirname(this.delayOffsetPath));
    writeFileAtomicSync(disk, this.delayOffsetPath, JSON.stringify({ offsetTable }, null, 2));
    this.dirty = false;
    this.lastPersistMs = this.clock.monotonicMs();
  }

  /** Stops the loop and persists the progress (before the store shuts down). */
  override async shutdown(): Promise<void> {
    await super.shutdown();
    if (this.dirty) this.persistQuietly();
  }

  protected async run(): Promise<void> {
    while (!this.stopped) {
      await this.waitForRunning(this.pollIntervalMs);
      if (this.stopped) break;
      try {
        if (this.options.settings().brokerRole !== 'SLAVE' && this.options.store.isRunning()) await this.deliverPass();
      } catch (error) {
        console.error('[ScheduleMessageService] pass failed', error);
      }
      if (this.dirty && this.clock.monotonicMs() - this.lastPersistMs >= this.persistIntervalMs) this.persistQuietly();
    }
  }

  /** One pass over every level; returns the messages re-put. Exposed for tests. */
  async deliverPass(): Promise<number> {
    const table = delayLevelTable(this.options.settings().messageDelayLevel);
    let delivered = 0;
    for (let level = 1; level <= table.length && !this.stopped; level++) {
      // a level with nothing queued is passed over without a promise (every pass looks at all 18)
      const queue = this.options.store.findConsumeQueue(SCHEDULE_TOPIC, delayLevel2QueueId(level));
      if (queue && queue.maxOffsetInQueue() > this.nextOffset(level, queue)) delivered += await this.deliverLevel(level, table, queue);
    }
    return delivered;
  }

  private nextOffset(level: number, queue: ConsumeQueue): number {
    return Math.max(this.offsetTable.get(level) ?? 0, queue.minOffsetInQueue());
  }

  private async deliverLevel(level: number, table: readonly number[], queue: ConsumeQueue): Promise<number> {
    const store = this.options.store;
    let offset = this.nextOffset(level, queue);
    const available = queue.maxOffsetInQueue() - offset;
    let delivered = 0;
    for (const entry of queue.getEntries(offset, Math.min(available, SCHEDULE_BATCH_MAX))) {
      if (this.stopped || !store.isRunning()) break;
      if (entry.size !== FILLER_ENTRY_SIZE) {
        const now = this.clock.nowMs();
        // correctDeliverTimestamp: a timestamp further out than one full delay is not trusted.
        const deliverTimestamp = entry.tagsCode > now + table[level - 1] ? now : entry.tagsCode;
        if (deliverTimestamp > now) break;
        const stored = store.lookMessageByOffset(entry.commitLogOffset);
        const inner = stored ? messageTimeup(stored) : null;
        if (!stored) {
          console.warn(`[ScheduleMessageService] level ${level} offset ${offset}: no record at commit-log offset ${entry.commitLogOffset}, skipped`);
        } else if (!inner) {
          console.warn(`[ScheduleMessageService] level ${level} offset ${offset}: ${stored.msgId} has no valid REAL_TOPIC/REAL_QID, skipped`);
        } else {
          const result = await store.putMessage(inner);
          if (!result.append) {
            this.putFailuresTotal++;
            console.warn(`[ScheduleMessageService] level ${level}: re-put of ${stored.msgId} refused (${result.status}${result.remark ? `: ${result.remark}` : ''}), retried later`);
            break;
          }
          delivered++;
          this.deliveredTotal++;
        }
      }
      offset++;
      this.offsetTable.set(level, offset);
      this.dirty = true;
    }
    return delivered;
  }

  private persistQuietly(): void {
    try {
      this.persist();
    } catch (error) {
      console.error(`[ScheduleMessageService] cannot persist ${this.delayOffsetPath}`, error);
    }
  }
}
