/**
 * Look messages up by KEYS. RocketMQ answers QUERY_MESSAGE from an index file (a hash of every key
 * to commit-log offsets); Zeroloss's broker keeps none, so this searches in two steps:
 *
 * 1. the key index (key-index.ts): every message this lab sent with KEYS, however old (bounded);
 * 2. a bounded scan over the remoting protocol: the newest messages of every queue of every topic
 *    (RocketMQ system topics left out), read with PULL_MESSAGE without committing, at most
 *    SCAN_MESSAGES_MAX messages and SCAN_DEADLINE_MS. It finds keys of external producers too,
 *    and says whether it covered every stored message (`complete`) or only the newest ones.
 */
import { AUTO_CREATE_TOPIC_KEY_TOPIC, DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, RMQ_SYS_TOPIC_PREFIX, RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRANS_OP_HALF_TOPIC, SCHEDULE_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC } from '../../broker/protocol/codes';
import type { ControlPlane } from '../control-plane';
import { splitKeys } from './key-index';
import { ConsoleError, type MessageConsole } from './message-console';
import { pullMessages, storedMessageView, type StoredMessageView } from './queue-browser';

export const SCAN_MESSAGES_MAX = 10_000;
export const SCAN_DEADLINE_MS = 3_000;
const MATCHES_MAX = 50;
const SKIPPED_TOPICS = new Set([SCHEDULE_TOPIC, RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRANS_OP_HALF_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC, AUTO_CREATE_TOPIC_KEY_TOPIC]);

export interface KeyMatch {
  msgId: string;
  topic: string | null;
  queueId: number | null;
  queueOffset: number | null;
  commitLogOffset: number | null;
  storeTimestamp: number | null;
  keys: string | null;
  /** the lab has a durability ladder for it */
  tracked: boolean;
  /** where it was found: the lab's key index, the broker scan, or both */
  foundBy: ('index' | 'scan')[];
  /**
   * stored copies the scan found: a message a consumer sent back is stored again, same UNIQ_KEY and
   * KEYS, in %RETRY%<group> or %DLQ%<group>; the match shows the copy in its own topic
   */
  storedCopies: number;
}

export interface KeySearchResult {
  key: string;
  matches: KeyMatch[];
  scanned: number;
  queuesScanned: number;
  /** the scan read every stored message of every queue (so a key not found is not there) */
  complete: boolean;
  truncated: boolean;
  /** why the broker was not scanned (it is down): only the lab's key index answered */
  scanSkipped: string | null;
}

export async function searchByKey(plane: ControlPlane, client: MessageConsole, key: string): Promise<KeySearchResult> {
  const matches = new Map<string, KeyMatch>();
  for (const id of client.keys.get(key)) {
    const r = plane.messages.get(id);
    matches.set(id, {
      msgId: id, topic: r?.topic ?? null, queueId: r?.queueId ?? null, queueOffset: r?.queueOffset ?? null, commitLogOffset: r?.commitLogOffset ?? null,
      storeTimestamp: r?.storedAt ?? null, keys: key, tracked: r !== undefined, foundBy: ['index'], storedCopies: 0,
    });
  }
  const down = client.brokerDown();
  const scan = down ? { found: [], scanned: 0, queues: 0, complete: false } : await scanBroker(plane, client, key);
  for (const m of scan.found) {
    const known = matches.get(m.msgId);
    if (known) {
      if (!known.foundBy.includes('scan')) known.foundBy.push('scan');
      known.storedCopies++;
      // The first copy, or the one in its own topic rather than a retry or dead-letter copy of it.
      if (known.storedCopies === 1 || (isSendBackTopic(known.topic) && !isSendBackTopic(m.topic))) {
        known.topic = m.topic;
        known.queueId = m.queueId;
        known.queueOffset = m.queueOffset;
        known.commitLogOffset = m.commitLogOffset;
        known.storeTimestamp = m.storeTimestamp;
      }
      known.keys = m.keys;
    } else {
      matches.set(m.msgId, {
        msgId: m.msgId, topic: m.topic, queueId: m.queueId, queueOffset: m.queueOffset, commitLogOffset: m.commitLogOffset,
        storeTimestamp: m.storeTimestamp, keys: m.keys, tracked: plane.messages.get(m.msgId) !== undefined, foundBy: ['scan'], storedCopies: 1,
      });
    }
  }
  const all = [...matches.values()].sort((a, b) => (b.storeTimestamp ?? 0) - (a.storeTimestamp ?? 0));
  return { key, matches: all.slice(0, MATCHES_MAX), scanned: scan.scanned, queuesScanned: scan.queues, complete: scan.complete, truncated: all.length > MATCHES_MAX, scanSkipped: down };
}

const isSendBackTopic = (topic: string | null) => topic !== null && (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX));

async function scanBroker(plane: ControlPlane, client: MessageConsole, key: string): Promise<{ found: StoredMessageView[]; scanned: number; queues: number; complete: boolean }> {
  const queues = plane.listTopics()
    .filter((t) => !SKIPPED_TOPICS.has(t.topic) && !t.topic.startsWith(RMQ_SYS_TOPIC_PREFIX))
    .flatMap((t) => Array.from({ length: t.brokers[0]?.readQueueNums ?? 0 }, (_, queueId) => ({ topic: t.topic, queueId })));
  const found: StoredMessageView[] = [];
  if (queues.length === 0) return { found, scanned: 0, queues: 0, complete: true };
  const deadline = performance.now() + SCAN_DEADLINE_MS;
  const perQueue = Math.max(32, Math.floor(SCAN_MESSAGES_MAX / queues.length));
  let scanned = 0;
  let complete = true;
  let queuesScanned = 0;
  const addresses = new Map<string, string>();
  for (const q of queues) {
    if (performance.now() > deadline || scanned >= SCAN_MESSAGES_MAX) {
      complete = false;
      break;
    }
    let address = addresses.get(q.topic);
    try {
      address ??= await client.readAddress(q.topic);
      addresses.set(q.topic, address);
      const { minOffset, maxOffset } = await client.queueRange(address, q.topic, q.queueId);
      const budget = Math.min(perQueue, SCAN_MESSAGES_MAX - scanned);
      const from = Math.max(minOffset, maxOffset - budget);
      if (from > minOffset) complete = false;
      if (from < maxOffset) {
        const { messages } = await pullMessages(client, address, q.topic, q.queueId, from, maxOffset - from);
        scanned += messages.length;
        for (const m of messages) {
          const view = storedMessageView(m);
          if (splitKeys(view.keys ?? '').includes(key)) found.push(view);
        }
      }
      queuesScanned++;
    } catch (error) {
      // A queue that cannot be read leaves the scan incomplete; a dead broker fails it.
      if (error instanceof ConsoleError && error.kind === 'unavailable') throw error;
      complete = false;
    }
  }
  return { found, scanned, queues: queuesScanned, complete };
}
