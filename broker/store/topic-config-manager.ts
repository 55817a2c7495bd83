/**
 * TopicConfigManager: the broker's topics and their queue counts, persisted atomically to
 * config/topics.json on every change. `TopicTest` exists from the start with 4 queues; a topic
 * sent to before it exists is created with defaultTopicQueueNums queues (autoCreateTopicEnable).
 */
import path from 'node:path';
import { ZerolossError } from '../errors/errors.js';
import { writeFileAtomicSync, type Disk } from '../io/disk.js';

/** PermName (CM/constant/PermName.java). */
export const PermName = { PERM_INHERIT: 0x1, PERM_WRITE: 0x2, PERM_READ: 0x4 } as const;

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: 'SINGLE_TAG' | 'MULTI_TAG';
  topicSysFlag: number;
  order: boolean;
}

/*
 * topics.json (RocketMQ's TopicConfigSerializeWrapper, without dataVersion):
 *   { "topicConfigTable": { "TopicTest": { "topicName": "TopicTest", "readQueueNums": 4, ... } } }
 */
export const DEFAULT_TOPIC = 'TopicTest';
const DEFAULT_TOPIC_QUEUE_NUMS = 4;

export function newTopicConfig(topicName: string, queueNums: number, perm = PermName.PERM_READ | PermName.PERM_WRITE): TopicConfig {
  return { topicName, readQueueNums: queueNums, writeQueueNums: queueNums, perm, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
}

export class TopicConfigManager {
  readonly filePath: string;
  private readonly table = new Map<string, TopicConfig>();
  private readonly defaultQueueNums: () => number;

  private constructor(private readonly disk: Disk, filePath: string, defaultQueueNums: () => number) {
    this.filePath = filePath;
    this.defaultQueueNums = defaultQueueNums;
  }

  /** Loads topics.json (or its .bak); a new store starts with TopicTest. */
  static load(disk: Disk, filePath: string, defaultQueueNums: () => number): TopicConfigManager {
    const manager = new TopicConfigManager(disk, filePath, defaultQueueNums);
    let loaded = false;
    for (const candidate of [filePath, `${filePath}.bak`]) {
      if (loaded || !disk.exists(candidate)) continue;
      try {
        const parsed = JSON.parse(disk.readFile(candidate).toString('utf8')) as { topicConfigTable?: Record<string, TopicConfig> };
        for (const [name, config] of Object.entries(parsed.topicConfigTable ?? {})) manager.table.set(name, { ...newTopicConfig(name, 1), ...config });
        loaded = true;
      } catch (error) {
        console.warn(`[TopicConfigManager] cannot read ${candidate}: ${(error as Error).message}`);
      }
    }
    if (!manager.table.has(DEFAULT_TOPIC)) {
      manager.table.set(DEFAULT_TOPIC, newTopicConfig(DEFAULT_TOPIC, DEFAULT_TOPIC_QUEUE_NUMS));
      manager.persist();
    }
    return manager;
  }

  selectTopicConfig(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  /** Every topic, sorted by name. */
  all(): TopicConfig[] {
    return [...this.table.values()].sort((a, b) => a.topicName.localeCompare(b.topicName));
  }

  /** The topic's config, creating it with `queueNums` (default defaultTopicQueueNums) on first use. */
  createTopicInSendMessageMethod(topic: string, queueNums?: number): TopicConfig {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const created = newTopicConfig(topic, queueNums ?? this.defaultQueueNums());
    this.table.set(topic, created);
    this.persist();
    return created;
  }

  /** Alias of createTopicInSendMessageMethod. */
  getOrCreate(topic: string, queueNums?: number): TopicConfig {
    return this.createTopicInSendMessageMethod(topic, queueNums);
  }

  /** Creates or replaces a topic (UPDATE_AND_CREATE_TOPIC). */
  updateTopicConfig(config: TopicConfig): void {
    this.table.set(config.topicName, { ...config });
    this.persist();
  }

  deleteTopicConfig(topic: string): boolean {
    const removed = this.table.delete(topic);
    if (removed) this.persist();
    return removed;
  }

  persist(): void {
    this.disk.mkdirp(path.dirname(this.filePath));
    try {
      writeFileAtomicSync(this.disk, this.filePath, JSON.stringify({ topicConfigTable: Object.fromEntries(this.table) }, null, 2));
    } catch (error) {
      throw new ZerolossError('DISK_WRITE_FAILED', `cannot persist ${this.filePath}: ${(error as Error).message}`, { cause: error });
    }
  }
}
