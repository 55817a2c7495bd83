/**
 * Browse a queue: a page of messages read from the broker with PULL_MESSAGE, from a queue offset
 * on, through the admin client's browsing pull (no consumer offset moves and nothing waits).
 * Also the view of one stored message every reading page shares.
 */
import { MessageProperty, ResponseCode, responseCodeName } from '../../broker/protocol/codes';
import { decodeMessageRecords } from '../../broker/protocol/message-record';
import type { MessageExt } from '../../broker/store/types';
import { ConsoleError, type MessageConsole } from './message-console';
import { BROWSER_GROUP } from '../traffic/lab-clients';

/** messages per browse page at most */
export const BROWSE_LIMIT_MAX = 100;
/** what the broker hands out per pull (MAX_TRANSFER_COUNT) */
const PULL_BATCH = 32;
const PREVIEW_BYTES = 160;

export interface StoredMessageView {
  /** UNIQ_KEY (msgId), or the offsetMsgId when the producer set none */
  msgId: string;
  offsetMsgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  storeSize: number;
  storeTimestamp: number;
  bornTimestamp: number;
  reconsumeTimes: number;
  keys: string | null;
  tags: string | null;
  properties: Record<string, string>;
  bodyBytes: number;
  /** the body as text when it is printable UTF-8, else hex; at most PREVIEW_BYTES bytes */
  bodyPreview: string;
  bodyEncoding: 'utf8' | 'hex';
}

function preview(body: Buffer): { bodyPreview: string; bodyEncoding: 'utf8' | 'hex' } {
  const head = body.subarray(0, PREVIEW_BYTES);
  const text = head.toString('utf8');
  // printable: no replacement characters and no control characters other than tab and newlines
  // eslint-disable-next-line no-control-regex
  const printable = !text.includes('\uFFFD') && !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text);
  return printable ? { bodyPreview: text, bodyEncoding: 'utf8' } : { bodyPreview: head.toString('hex'), bodyEncoding: 'hex' };
}

export function storedMessageView(m: MessageExt): StoredMessageView {
  return {
    msgId: m.properties.get(MessageProperty.UNIQ_KEY) ?? m.msgId,
    offsetMsgId: m.msgId,
    topic: m.topic,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    commitLogOffset: m.commitLogOffset,
    storeSize: m.storeSize,
    storeTimestamp: m.storeTimestamp,
    bornTimestamp: m.bornTimestamp,
    reconsumeTimes: m.reconsumeTimes,
    keys: m.properties.get(MessageProperty.KEYS) ?? null,
    tags: m.properties.get(MessageProperty.TAGS) ?? null,
    properties: Object.fromEntries(m.properties),
    bodyBytes: m.body.length,
    ...preview(Buffer.from(m.body)),
  };
}

/** Up to `max` messages of one queue from `queueOffset`, by PULL_MESSAGE without committing; [] past the end. */
export async function pullMessages(client: MessageConsole, address: string, topic: string, queueId: number, queueOffset: number, max: number): Promise<{ messages: MessageExt[]; nextOffset: number }> {
  const messages: MessageExt[] = [];
  let offset = queueOffset;
  while (messages.length < max) {
    const response = await client.admin(address, (admin) => admin.pullForBrowse(address, {
      consumerGroup: BROWSER_GROUP, topic, queueId, queueOffset: offset, maxMsgNums: Math.min(PULL_BATCH, max - messages.length),
    }));
    const next = response.nextBeginOffset ?? offset;
    if (response.responseCode === ResponseCode.PULL_RETRY_IMMEDIATELY && next > offset) {
      offset = next; // only filler entries there: skip them
      continue;
    }
    if (response.responseCode !== ResponseCode.SUCCESS) {
      const code = response.responseCode;
      if (code === ResponseCode.PULL_NOT_FOUND || code === ResponseCode.PULL_OFFSET_MOVED || code === ResponseCode.PULL_RETRY_IMMEDIATELY) break;
      throw new ConsoleError(`the broker refused the read of ${topic} queue ${queueId}: ${responseCodeName(code)}${response.remark ? ` (${response.remark})` : ''}`, code === ResponseCode.TOPIC_NOT_EXIST ? 'not-found' : 'refused');
    }
    const batch = decodeMessageRecords(response.body ?? Buffer.alloc(0), { copyBody: true }).messages;
    if (batch.length === 0 || next <= offset) break;
    messages.push(...batch);
    offset = next;
  }
  return { messages: messages.slice(0, max), nextOffset: offset };
}

export interface BrowseInput {
  topic: string;
  queueId: number;
  /** queue offset to start at; absent = the newest page */
  startOffset?: number;
  limit: number;
}

export interface BrowsePage {
  topic: string;
  queueId: number;
  brokerAddr: string;
  minOffset: number;
  maxOffset: number;
  startOffset: number;
  /** where the next page starts (= maxOffset at the end) */
  nextOffset: number;
  messages: (StoredMessageView & { tracked: boolean })[];
}

export async function browseQueue(client: MessageConsole, queueNums: number, input: BrowseInput, tracked: (id: string) => boolean): Promise<BrowsePage> {
  if (input.queueId >= queueNums) {
    throw new ConsoleError(`queueId: topic ${input.topic} has ${queueNums} queue${queueNums === 1 ? '' : 's'} (0–${queueNums - 1}); ${input.queueId} is not one of them`, 'not-found');
  }
  const brokerAddr = await client.readAddress(input.topic);
  const { minOffset, maxOffset } = await client.queueRange(brokerAddr, input.topic, input.queueId);
  const wanted = input.startOffset ?? Math.max(minOffset, maxOffset - input.limit);
  if (wanted > maxOffset) {
    throw new ConsoleError(`startOffset: ${wanted} is past the end of ${input.topic} queue ${input.queueId} (its queue offsets run ${minOffset}–${Math.max(minOffset, maxOffset - 1)}; the next message lands at ${maxOffset})`, 'not-found');
  }
  const startOffset = Math.max(wanted, minOffset);
  const { messages, nextOffset } = startOffset < maxOffset
    ? await pullMessages(client, brokerAddr, input.topic, input.queueId, startOffset, input.limit)
    : { messages: [], nextOffset: maxOffset };
  return {
    topic: input.topic, queueId: input.queueId, brokerAddr, minOffset, maxOffset, startOffset, nextOffset,
    messages: messages.map((m) => {
      const view = storedMessageView(m);
      return { ...view, tracked: tracked(view.msgId) };
    }),
  };
}
