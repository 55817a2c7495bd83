/**
 * A producer that speaks SEND_MESSAGE_V2 (C/impl/producer/DefaultMQProducerImpl.java sendDefaultImpl,
 * in outline). Every message is stamped with a UNIQ_KEY (kept across retries), the producer's id
 * and a sequence number per queue, so the consumer side can find every gap.
 *
 * Sync: up to 1 + retryTimesWhenSendFailed attempts on exceptions, all inside one sendMsgTimeout
 * budget; a non-OK SendStatus is returned, not retried (unless retryAnotherBrokerWhenNotStoreOK).
 * Async: the same, with retryTimesWhenSendAsyncFailed, and the result goes to a callback.
 * Oneway: one attempt, no answer.
 */
import { MessageProperty, RequestCode, responseCodeName, responseCodeToSendStatus, retryableResponseCodes, type SendStatus } from '../protocol/codes.js';
import { createRequest } from '../protocol/remoting-command.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import { ZerolossError } from '../errors/errors.js';
import { createUniqId } from './message-id.js';
import { messageProperties2String } from '../protocol/message-record.js';

export interface ProducerOptions {
  producerGroup: string;
  /** stamped on every message as ZL_PRODUCER */
  producerId: string;
  /** until the name server exists: the master's address and the topic's write-queue count */
  brokerAddr: string;
  writeQueueNums?: number;
  sendMsgTimeout?: number;
  retryTimesWhenSendFailed?: number;
  retryTimesWhenSendAsyncFailed?: number;
  retryAnotherBrokerWhenNotStoreOK?: boolean;
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
  queueId: number;
  seq: number;
  uniqKey: string;
  properties: string;
}

export class Producer {
  private readonly client = new RemotingClient();
  private readonly seqByQueue = new Map<number, number>();
  private roundRobin = 0;
  readonly options: Required<ProducerOptions>;

  constructor(options: ProducerOptions) {
    this.options = {
      writeQueueNums: 4,
      sendMsgTimeout: 3000,
      retryTimesWhenSendFailed: 2,
      retryTimesWhenSendAsyncFailed: 2,
      retryAnotherBrokerWhenNotStoreOK: false,
      ...options,
    };
  }

  /** Sync send: resolves with the SendResult (any SendStatus), rejects when every attempt failed. */
  send(message: Message): Promise<SendResult> {
    return this.sendWithRetries(this.prepare(message), 1 + this.options.retryTimesWhenSendFailed);
  }

  /** Async send: the callback gets the result or the error, exactly once. */
  sendAsync(message: Message, callback: (error: Error | null, result?: SendResult) => void): { msgId: string; queueId: number; seq: number } {
    const prepared = this.prepare(message);
    this.sendWithRetries(prepared, 1 + this.options.retryTimesWhenSendAsyncFailed).then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
    return { msgId: prepared.uniqKey, queueId: prepared.queueId, seq: prepared.seq };
  }

  /** Oneway: written to the socket, nothing comes back. */
  async sendOneway(message: Message): Promise<{ msgId: string; queueId: number; seq: number }> {
    const prepared = this.prepare(message);
    await this.client.invokeOneway(this.options.brokerAddr, this.request(prepared), this.options.sendMsgTimeout);
    return { msgId: prepared.uniqKey, queueId: prepared.queueId, seq: prepared.seq };
  }

  close(): void {
    this.client.close();
  }

  private prepare(message: Message): Prepared {
    const queueId = message.queueId ?? this.roundRobin++ % this.options.writeQueueNums;
    const seq = (this.seqByQueue.get(queueId) ?? 0) + 1;
    this.seqByQueue.set(queueId, seq);
    const uniqKey = createUniqId();
    const props = new Map<string, string>(Object.entries(message.properties ?? {}));
    if (message.tags) props.set(MessageProperty.TAGS, message.tags);
    if (message.keys) props.set(MessageProperty.KEYS, message.keys);
    props.set(MessageProperty.WAIT, 'true');
    props.set(MessageProperty.UNIQ_KEY, uniqKey);
    props.set(MessageProperty.ZL_PRODUCER, this.options.producerId);
    props.set(MessageProperty.ZL_SEQ, String(seq));
    const properties = messageProperties2String(props);
    return { message, queueId, seq, uniqKey, properties };
  }

  private request(prepared: Prepared) {
    return createRequest(RequestCode.SEND_MESSAGE_V2, {
      a: this.options.producerGroup,
      b: prepared.message.topic,
      c: 'TBW102',
      d: this.options.writeQueueNums,
      e: prepared.queueId,
      f: 0,
      g: Date.now(),
      h: 0,
      i: prepared.properties,
      j: 0,
      k: false,
    }, prepared.message.body);
  }

  private async sendWithRetries(prepared: Prepared, timesTotal: number): Promise<SendResult> {
    const started = performance.now();
    let lastError: Error | undefined;
    let lastResult: SendResult | undefined;
    for (let attempt = 1; attempt <= timesTotal; attempt++) {
      const remaining = this.options.sendMsgTimeout - (performance.now() - started);
      if (remaining <= 0) {
        throw new ZerolossError('SEND_TIMEOUT', `sendMsgTimeout of ${this.options.sendMsgTimeout} ms ran out after ${attempt - 1} attempt(s)`, { cause: lastError });
      }
      try {
        const response = await this.client.invoke(this.options.brokerAddr, this.request(prepared), remaining);
        const sendStatus = responseCodeToSendStatus[response.code];
        if (sendStatus === undefined) {
          const retriable = retryableResponseCodes.has(response.code);
          throw new ZerolossError(retriable ? 'BROKER_RETRIABLE' : 'BROKER_ERROR',
            `broker answered ${responseCodeName(response.code)} (${response.code})${response.remark ? `: ${response.remark}` : ''}`,
            { responseCode: response.code });
        }
        lastResult = {
          sendStatus,
          msgId: prepared.uniqKey,
          offsetMsgId: String(response.extFields?.msgId ?? ''),
          queueId: Number(response.extFields?.queueId ?? prepared.queueId),
          queueOffset: Number(response.extFields?.queueOffset ?? -1),
          seq: prepared.seq,
          attempts: attempt,
        };
        if (sendStatus === 'SEND_OK' || !this.options.retryAnotherBrokerWhenNotStoreOK) return lastResult;
      } catch (error) {
        lastError = error as Error;
        if (!(error instanceof ZerolossError) || !error.retriable) throw error;
      }
    }
    if (lastResult) return lastResult;
    throw lastError ?? new Error('send failed');
  }
}
