/**
 * The ali-ons client (3.12, unmodified, from node_modules) as the tests drive it: its classes, the
 * shapes of what they return, and a producer and a consumer with short client periods and a quiet
 * logger, so a test is quick and nothing sleeps for 30 s after close.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const ons = require('ali-ons') as {
  Producer: new (options: Record<string, unknown>) => AliProducer;
  Consumer: new (options: Record<string, unknown>) => AliConsumer;
  Message: new (topic: string, tags: string | null, body: string | Buffer) => object;
};

export interface AliSendResult { sendStatus: string; msgId: string; messageQueue: { topic: string; brokerName: string; queueId: number }; queueOffset: number }
export interface AliMessage { msgId: string; body: Buffer; topic: string; reconsumeTimes: number; tags: string; queueId: number; queueOffset: number }
export interface AliProducer { ready(): Promise<void>; send(msg: object): Promise<AliSendResult>; close(): Promise<void>; on(e: string, cb: (err: Error) => void): void }
export interface AliConsumer { ready(): Promise<void>; subscribe(topic: string, sub: string, handler: (msg: AliMessage) => Promise<unknown>): void; close(): Promise<void>; on(e: string, cb: (err: Error) => void): void }

const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };
/** Short client periods: routes polled every 500 ms, so a client follows a new master quickly. */
export const clientTiming = { pollNameServerInteval: 500, heartbeatBrokerInterval: 1000, rebalanceInterval: 500, persistConsumerOffsetInterval: 500 };

export function producer(nameSrv: string, group: string): AliProducer {
  const p = new ons.Producer({ nameSrv, httpclient: {}, producerGroup: group, logger: quietLogger, sendMsgTimeout: 3000, ...clientTiming });
  p.on('error', () => {});
  return p;
}

export function consumer(nameSrv: string, group: string, timing: Record<string, number> = clientTiming): AliConsumer {
  const c = new ons.Consumer({ nameSrv, httpclient: {}, consumerGroup: group, logger: quietLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', ...timing });
  c.on('error', () => {}); // e.g. QUERY_NOT_FOUND on first boot: expected noise (docs/rocketmq-semantics.md#first-boot-offset)
  return c;
}
