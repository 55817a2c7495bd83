/**
 * The traffic itself, apart from the process it runs in: sends at the configured rate through
 * broker/client's Producer in the configured send mode and records every send's outcome as the
 * ledger reads it (SendOutcome). The traffic runner (runner-main.ts, a child process) runs it on the
 * system clock; the simulator (server/sim/) runs the same loop on a simulated one.
 */
import type { Producer, SendResult } from '../../broker/client/producer.js';
import type { SendOutcome, TrafficConfig } from '../../broker/ipc.js';
import type { Clock } from '../../broker/io/clock.js';
import { isZerolossError } from '../../broker/errors/errors.js';

/** Sends in flight at once; past this the runner falls behind its rate rather than queueing without bound. */
export const MAX_IN_FLIGHT = 512;
const TICK_MS = 10;

export interface TrafficLoop {
  readonly attempted: () => number;
  readonly inFlight: () => number;
  /** Stops sending; resolves once every send in flight has its outcome, or after `waitMs`. */
  stop(waitMs: number): Promise<void>;
}

export interface TrafficLoopOptions {
  producer: Producer;
  config: Pick<TrafficConfig, 'topic' | 'producerId' | 'rate' | 'count' | 'sendMode' | 'keyPattern'>;
  body: Buffer;
  clock: Clock;
  record: (outcome: SendOutcome) => void;
  /** every message was sent and answered (config.count reached) */
  finished?: () => void;
}

/** What the ledger is told of an answered send. */
export function outcomeOfResult(result: SendResult, sentAtMs: number, latencyMs: number): SendOutcome {
  return {
    id: result.msgId, queueId: result.queueId, seq: result.seq, sentAtMs, latencyMs,
    status: result.sendStatus, offsetMsgId: result.offsetMsgId, queueOffset: result.queueOffset, brokerName: result.brokerName,
  };
}

export function startTrafficLoop(options: TrafficLoopOptions): TrafficLoop {
  const { producer, config, body, clock, record: recordOutcome } = options;
  let attempted = 0;
  let inFlight = 0;
  let stopped = false;
  const started = clock.monotonicMs();

  // KEYS of message n (1-based): the configured pattern, or none at all.
  const keysOf = (n: number): string | undefined =>
    config.keyPattern ? config.keyPattern.replaceAll('{producer}', config.producerId).replaceAll('{n}', String(n)) : undefined;
  const fromResult = (result: SendResult, sentAtMs: number, t0: number): SendOutcome => outcomeOfResult(result, sentAtMs, clock.monotonicMs() - t0);
  const fromError = (error: Error, id: string, queueId: number, seq: number, sentAtMs: number, t0: number): SendOutcome => ({
    id, queueId, seq, sentAtMs, latencyMs: clock.monotonicMs() - t0,
    status: /timeout|ran out/i.test(error.message) ? 'TIMEOUT' : 'ERROR', error: error.message,
    ...(isZerolossError(error) && error.responseCode !== undefined ? { responseCode: error.responseCode } : {}),
  });

  const record = (keys: string | undefined, outcome: SendOutcome) => recordOutcome(keys === undefined ? outcome : { ...outcome, keys });

  const sendOne = () => {
    attempted++;
    inFlight++;
    const sentAtMs = clock.nowMs();
    const t0 = clock.monotonicMs();
    const messageKeys = keysOf(attempted);
    const message = messageKeys === undefined ? { topic: config.topic, body } : { topic: config.topic, body, keys: messageKeys };
    // No named closures per send here (record, done): tsx's keepNames renames each one as it is made.
    if (config.sendMode === 'async') {
      const handle = producer.sendAsync(message, (error, result) => {
        inFlight--;
        if (result) record(messageKeys, fromResult(result, sentAtMs, t0));
        else void handle.then((h) => record(messageKeys, fromError(error!, h.msgId, h.queueId, h.seq, sentAtMs, t0)));
      });
      handle.catch((error: Error) => {
        inFlight--;
        record(messageKeys, fromError(error, '', -1, -1, sentAtMs, t0));
      });
    } else if (config.sendMode === 'async-unchecked') {
      // The anti-pattern: the callback ignores the result, so a failed send is never noticed.
      producer.sendAsync(message, () => { inFlight--; }).then(
        (h) => record(messageKeys, { id: h.msgId, queueId: h.queueId, seq: h.seq, sentAtMs, latencyMs: clock.monotonicMs() - t0, status: 'UNCHECKED' }),
        () => { inFlight--; record(messageKeys, { id: '', queueId: -1, seq: -1, sentAtMs, latencyMs: clock.monotonicMs() - t0, status: 'UNCHECKED' }); },
      );
    } else if (config.sendMode === 'oneway') {
      producer.sendOneway(message).then(
        (h) => { inFlight--; record(messageKeys, { id: h.msgId, queueId: h.queueId, seq: h.seq, sentAtMs, latencyMs: clock.monotonicMs() - t0, status: 'UNCHECKED' }); },
        (error: Error) => { inFlight--; record(messageKeys, fromError(error, '', -1, -1, sentAtMs, t0)); },
      );
    } else {
      producer.send(message).then(
        (result) => { inFlight--; record(messageKeys, fromResult(result, sentAtMs, t0)); },
        (error: Error & { msgId?: string; queueId?: number; seq?: number }) => { inFlight--; record(messageKeys, fromError(error, error.msgId ?? '', error.queueId ?? -1, error.seq ?? -1, sentAtMs, t0)); },
      );
    }
  };

  const tick = clock.setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((clock.monotonicMs() - started) / 1000) * config.rate) - attempted;
    for (let i = 0; i < due && inFlight < MAX_IN_FLIGHT; i++) {
      if (config.count > 0 && attempted >= config.count) break;
      sendOne();
    }
    if (config.count > 0 && attempted >= config.count && inFlight === 0) options.finished?.();
  }, TICK_MS);

  return {
    attempted: () => attempted,
    inFlight: () => inFlight,
    async stop(waitMs) {
      stopped = true;
      tick.cancel();
      const deadline = clock.monotonicMs() + waitMs;
      while (inFlight > 0 && clock.monotonicMs() < deadline) await clock.sleep(20);
    },
  };
}
