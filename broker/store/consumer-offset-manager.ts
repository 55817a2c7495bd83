/**
 * ConsumerOffsetManager (docs/rocketmq-semantics.md#consumer-offsets): committed consume offsets, `topic@group →
 * {queueId: offset}`, kept in memory and persisted atomically (temp file, fdatasync, rename, .bak
 * of the previous version) to config/consumerOffset.json by the store every 5 s and on shutdown.
 * Lower offsets are accepted, as RocketMQ does (a consumer may rewind). Persistence is atomic, so a
 * crash leaves either the previous or the new table, never a torn one; the last ≤5 s of commits can
 * be lost, which means redelivery, never loss.
 */
import path from 'node:path';
import { ZerolossError } from '../errors/errors.js';
import { writeFileAtomicSync, type Disk } from '../io/disk.js';

/*
 * consumerOffset.json (RocketMQ's layout, with standard JSON keys):
 *   { "offsetTable": { "TopicTest@groupA": { "0": 12, "1": 7 }, ... } }
 */
const TOPIC_GROUP_SEPARATOR = '@';
/** flushConsumerOffsetInterval (BrokerConfig), ms */
export const FLUSH_CONSUMER_OFFSET_INTERVAL_MS = 5000;

export class ConsumerOffsetManager {
  readonly filePath: string;
  private readonly offsetTable = new Map<string, Map<number, number>>();
  private dirty = false;

  private constructor(private readonly disk: Disk, filePath: string) {
    this.filePath = filePath;
  }

  /** Loads the table, falling back to the .bak copy when the main file is unreadable (ConfigManager.load). */
  static load(disk: Disk, filePath: string): ConsumerOffsetManager {
    const manager = new ConsumerOffsetManager(disk, filePath);
    for (const candidate of [filePath, `${filePath}.bak`]) {
      if (!disk.exists(candidate)) continue;
      try {
        manager.decode(disk.readFile(candidate).toString('utf8'));
        return manager;
      } catch (error) {
        console.warn(`[ConsumerOffsetManager] cannot read ${candidate}: ${(error as Error).message}`);
      }
    }
    return manager;
  }

  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    const key = topic + TOPIC_GROUP_SEPARATOR + group;
    let queues = this.offsetTable.get(key);
    if (!queues) this.offsetTable.set(key, (queues = new Map()));
    queues.set(queueId, offset);
    this.dirty = true;
  }

  /** The committed offset, or -1 when the group never committed one for this queue. */
  queryOffset(group: string, topic: string, queueId: number): number {
    return this.offsetTable.get(topic + TOPIC_GROUP_SEPARATOR + group)?.get(queueId) ?? -1;
  }

  /** Every queue's committed offset of a group on a topic. */
  queryOffsets(group: string, topic: string): Map<number, number> {
    return new Map(this.offsetTable.get(topic + TOPIC_GROUP_SEPARATOR + group) ?? []);
  }

  /** All groups that committed offsets for a topic. */
  whichGroupByTopic(topic: string): string[] {
    const out: string[] = [];
    for (const key of this.offsetTable.keys()) {
      const at = key.indexOf(TOPIC_GROUP_SEPARATOR);
      if (key.slice(0, at) === topic) out.push(key.slice(at + 1));
    }
    return out;
  }

  removeOffset(group: string, topic?: string): void {
    for (const key of [...this.offsetTable.keys()]) {
      const at = key.indexOf(TOPIC_GROUP_SEPARATOR);
      if (key.slice(at + 1) === group && (topic === undefined || key.slice(0, at) === topic)) {
        this.offsetTable.delete(key);
        this.dirty = true;
      }
    }
  }

  /** A plain copy of the table, for the slave's periodic sync and the dashboard. */
  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [key, queues] of this.offsetTable) out[key] = Object.fromEntries([...queues].map(([q, o]) => [String(q), o]));
    return out;
  }

  /** Replaces the whole table (a slave copying its master's). */
  replaceAll(table: Record<string, Record<string, number>>): void {
    this.offsetTable.clear();
    this.decode(JSON.stringify({ offsetTable: table }));
    this.dirty = true;
  }

  /** Writes the table if it changed since the last write (or when forced). */
  persist(force = false): void {
    if (!this.dirty && !force) return;
    this.disk.mkdirp(path.dirname(this.filePath));
    this.dirty = false;
    try {
      writeFileAtomicSync(this.disk, this.filePath, JSON.stringify({ offsetTable: this.snapshot() }, null, 2));
    } catch (error) {
      this.dirty = true;
      throw new ZerolossError('DISK_WRITE_FAILED', `cannot persist ${this.filePath}: ${(error as Error).message}`, { cause: error });
    }
  }

  private decode(text: string): void {
    const parsed = JSON.parse(text) as { offsetTable?: Record<string, Record<string, number>> };
    for (const [key, queues] of Object.entries(parsed.offsetTable ?? {})) {
      const map = new Map<number, number>();
      for (const [queueId, offset] of Object.entries(queues)) {
        if (Number.isInteger(Number(queueId)) && Number.isFinite(offset)) map.set(Number(queueId), offset);
      }
      this.offsetTable.set(key, map);
    }
  }
}
