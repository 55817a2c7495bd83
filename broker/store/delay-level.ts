/**
 * Delay levels and the put-path half of delayed messages (4.x ScheduleMessageService.parseDelayLevel,
 * CommitLog.putMessage; 5.x HookUtils.handleScheduleMessage). Pure functions: the commit log and the
 * store call them on every put, ScheduleMessageService when it walks the levels.
 *
 * Put path (handleScheduleMessage, called by DefaultMessageStore.putMessage): a NOT/COMMIT message
 * with property DELAY = level > 0 (clamped to the highest level) keeps its real topic and queue in
 * REAL_TOPIC / REAL_QID and is stored in SCHEDULE_TOPIC_XXXX queue level-1 instead. Its consume-queue
 * entry carries the delivery timestamp (store time + the level's delay) as tagsCode, so the service
 * reads nothing but the consume queue until a message is due.
 */
import {
  MessageProperty,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
  SCHEDULE_TOPIC,
} from '../protocol/codes.js';
import { isDispatchedType } from './dispatch-request.js';
import type { MessageInner } from './types.js';

/** RocketMQ's units of messageDelayLevel (ScheduleMessageService.parseDelayLevel). */
export const DELAY_LEVEL_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/**
 * "1s 5s 10s 30s 1m 2h 1d" → delay in ms per level (index level-1). Only s/m/h/d, as RocketMQ;
 * throws naming the token otherwise.
 */
export function parseDelayLevel(text: string): number[] {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new Error('messageDelayLevel is empty: expected durations such as "1s 5s 1m"');
  return tokens.map((token) => {
    const match = /^(\d+)([smhd])$/.exec(token);
    if (!match) throw new Error(`messageDelayLevel: "${token}" is not a duration (a whole number followed by s, m, h or d)`);
    return Number(match[1]) * DELAY_LEVEL_UNITS_MS[match[2]];
  });
}

const delayTableCache = new Map<string, number[]>();
/** parseDelayLevel, remembered per text (the table is read on every dispatch of a delayed message). */
export function delayLevelTable(text: string): number[] {
  let table = delayTableCache.get(text);
  if (!table) {
    table = parseDelayLevel(text);
    if (delayTableCache.size > 16) delayTableCache.clear();
    delayTableCache.set(text, table);
  }
  return table;
}

/** The DELAY property as a level; 0 when absent or not a number. */
export function delayLevelOf(properties: ReadonlyMap<string, string>): number {
  const raw = properties.get(MessageProperty.DELAY);
  if (raw === undefined) return 0;
  const level = Number(raw);
  return Number.isInteger(level) ? level : 0;
}

export function delayLevel2QueueId(level: number): number {
  return level - 1;
}

/** store time + the level's delay (a level past the table uses the last one). */
export function computeDeliverTimestamp(table: readonly number[], level: number, storeTimestamp: number): number {
  const index = Math.min(Math.max(level, 1), table.length) - 1;
  return storeTimestamp + table[index];
}

/** tagsCode of a SCHEDULE_TOPIC_XXXX record: its delivery timestamp (4.x CommitLog.checkMessageAndReturnSize). */
export function scheduleTagsCode(properties: ReadonlyMap<string, string>, storeTimestamp: number, messageDelayLevel: string): number {
  const level = delayLevelOf(properties);
  if (level <= 0) return storeTimestamp;
  return computeDeliverTimestamp(delayLevelTable(messageDelayLevel), level, storeTimestamp);
}

/**
 * The put-path rewrite of a delayed message (4.x CommitLog.putMessage, 5.x HookUtils.handleScheduleMessage).
 * Mutates `message`; returns true when it now goes to SCHEDULE_TOPIC_XXXX. Transaction halves and
 * rollbacks, op messages and records already in the schedule topic are left alone.
 */
export function handleScheduleMessage(message: MessageInner, messageDelayLevel: string): boolean {
  if (!isDispatchedType(message.sysFlag)) return false;
  if (message.topic === SCHEDULE_TOPIC || message.topic === RMQ_SYS_TRANS_HALF_TOPIC || message.topic === RMQ_SYS_TRANS_OP_HALF_TOPIC) return false;
  let level = delayLevelOf(message.properties);
  if (level <= 0) return false;
  const maxLevel = delayLevelTable(messageDelayLevel).length;
  if (level > maxLevel) {
    level = maxLevel;
    message.properties.set(MessageProperty.DELAY, String(maxLevel));
  }
  message.properties.set(MessageProperty.REAL_TOPIC, message.topic);
  message.properties.set(MessageProperty.REAL_QID, String(message.queueId));
  message.topic = SCHEDULE_TOPIC;
  message.queueId = delayLevel2QueueId(level);
  return true;
}
