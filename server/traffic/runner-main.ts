/**
 * The traffic runner: its own child process, so a producer crash is a real SIGKILL. It sends at
 * the configured rate through broker/client's Producer and reports every send's outcome to the
 * control plane over IPC, batched every 50 ms. Its lifecycle (ready, stop, fatal errors) is the
 * child runtime's (broker/runtime/child-runtime.ts).
 */
import { randomBytes } from 'node:crypto';
import { Producer, type SendResult } from '../../broker/client/producer.js';
import type { ParentToTraffic, SendOutcome, TrafficConfig, TrafficToParent } from '../../broker/ipc.js';
import { seededBytes } from '../drills/drill-plan.js';
import { parseLabBugs } from '../../broker/lab-bugs.js';
import { requireChildConfig } from '../../broker/config/environment.js';
import { ChildRuntime } from '../../broker/runtime/child-runtime.js';

/** Sends in flight at once; past this the runner falls behind its rate rather than queueing without bound. */
const MAX_IN_FLIGHT = 512;
const TICK_MS = 10;

const runtime = new ChildRuntime<TrafficToParent, ParentToTraffic>();
const send = (message: TrafficToParent) => runtime.send(message);

function main(): void {
  const config = requireChildConfig('ZL_TRAFFIC') as TrafficConfig;
  const producer = new Producer({
    producerGroup: config.producerGroup, producerId: config.producerId, namesrvAddr: config.namesrvAddr, brokerAddr: config.brokerAddr,
    ...(config.brokerAddressMap ? { brokerAddressMap: config.brokerAddressMap } : {}),
    ...(config.sendMsgTimeout !== undefined ? { sendMsgTimeout: config.sendMsgTimeout } : {}),
    ...(config.retryTimesWhenSendFailed !== undefined ? { retryTimesWhenSendFailed: config.retryTimesWhenSendFailed } : {}),
    ...(config.retryTimesWhenSendAsyncFailed !== undefined ? { retryTimesWhenSendAsyncFailed: config.retryTimesWhenSendAsyncFailed } : {}),
    labBugs: parseLabBugs('labBugs', config.labBugs),
  });
  const body = config.bodySeed === undefined ? randomBytes(Math.max(0, config.bodySize)) : seededBytes(config.bodySeed, Math.max(0, config.bodySize));
  let outcomes: SendOutcome[] = [];
  let attempted = 0;
  let inFlight = 0;
  let stopped = false;
  const started = performance.now();

  // KEYS of message n (1-based): the configured pattern, or none at all.
  const keysOf = (n: number): string | undefined =>
    config.keyPattern ? config.keyPattern.replaceAll('{producer}', config.producerId).replaceAll('{n}', String(n)) : undefined;
  const fromResult = (result: SendResult, sentAtMs: number, t0: number): SendOutcome => ({
    id: result.msgId, queueId: result.queueId, seq: result.seq, sentAtMs, latencyMs: performance.now() - t0,
    status: result.sendStatus, offsetMsgId: result.offsetMsgId, queueOffset: result.queueOffset,
  });
  const fromError = (error: Error, id: string, queueId: number, seq: number, sentAtMs: number, t0: number): SendOutcome => ({
    id, queueId, seq, sentAtMs, latencyMs: performance.now() - t0,
    status: /timeout|ran out/i.test(error.message) ? 'TIMEOUT' : 'ERROR', error: error.message,
  });

  const sendOne = () => {
    attempted++;
    inFlight++;
    const sentAtMs = Date.now();
    const t0 = performance.now();
    const messageKeys = keysOf(attempted);
    const message = messageKeys === undefined ? { topic: config.topic, body } : { topic: config.topic, body, keys: messageKeys };
    const record = (outcome: SendOutcome) => outcomes.push(messageKeys === undefined ? outcome : { ...outcome, keys: messageKeys });
    const done = () => {
      inFlight--;
    };
    if (config.sendMode === 'async') {
      const handle = producer.sendAsync(message, (error, result) => {
        done();
        if (result) record(fromResult(result, sentAtMs, t0));
        else void handle.then((h) => record(fromError(error!, h.msgId, h.queueId, h.seq, sentAtMs, t0)));
      });
      handle.catch((error: Error) => {
        done();
        record(fromError(error, '', -1, -1, sentAtMs, t0));
      });
    } else if (config.sendMode === 'async-unchecked') {
      // The anti-pattern: the callback ignores the result, so a failed send is never noticed.
      producer.sendAsync(message, () => done()).then(
        (h) => record({ id: h.msgId, queueId: h.queueId, seq: h.seq, sentAtMs, latencyMs: performance.now() - t0, status: 'UNCHECKED' }),
        () => { done(); record({ id: '', queueId: -1, seq: -1, sentAtMs, latencyMs: performance.now() - t0, status: 'UNCHECKED' }); },
      );
    } else if (config.sendMode === 'oneway') {
      producer.sendOneway(message).then(
        (h) => { done(); record({ id: h.msgId, queueId: h.queueId, seq: h.seq, sentAtMs, latencyMs: performance.now() - t0, status: 'UNCHECKED' }); },
        (error: Error) => { done(); record(fromError(error, '', -1, -1, sentAtMs, t0)); },
      );
    } else {
      producer.send(message).then(
        (result) => { done(); record(fromResult(result, sentAtMs, t0)); },
        (error: Error & { msgId?: string; queueId?: number; seq?: number }) => { done(); record(fromError(error, error.msgId ?? '', error.queueId ?? -1, error.seq ?? -1, sentAtMs, t0)); },
      );
    }
  };

  const tick = setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - started) / 1000) * config.rate) - attempted;
    for (let i = 0; i < due && inFlight < MAX_IN_FLIGHT; i++) {
      if (config.count > 0 && attempted >= config.count) break;
      sendOne();
    }
    if (config.count > 0 && attempted >= config.count && inFlight === 0) void runtime.stop('every message sent');
  }, TICK_MS);

  const report = setInterval(() => {
    if (outcomes.length === 0) return;
    send({ type: 'outcomes', outcomes });
    outcomes = [];
  }, 50);

  runtime.onStop(async () => {
    stopped = true;
    clearInterval(tick);
    const deadline = performance.now() + 5000;
    while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    clearInterval(report);
    if (outcomes.length > 0) send({ type: 'outcomes', outcomes });
    outcomes = [];
    send({ type: 'done', attempted });
    void producer.close();
  });
  runtime.onMessage((message) => {
    if (message.type === 'stop') void runtime.stop('asked by the control plane');
  });
  runtime.ready();
}

runtime.run(main);
