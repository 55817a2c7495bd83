/**
 * The transaction runner: a child process of the drill runner, so the transaction-crash drill's
 * producer crash is a real SIGKILL between a half message and its commit. It sends transactions at
 * the configured rate through broker/client's TransactionProducer: the half message (sync), then the
 * local transaction (localTransactionMs of work, ending in the seeded decision, COMMIT or ROLLBACK),
 * then END_TRANSACTION. It answers the broker's check-backs for any half message of its group, its
 * own or a dead predecessor's, with the same seeded decision (the decision is the "database" the
 * check consults: drill-plan.ts transactionDecision).
 *
 * It reports to its parent over IPC, every 20 ms: each half message sent (with the SendStatus), each
 * transaction it ended, each check-back it answered. Its lifecycle (ready, stop, fatal errors) is the
 * child runtime's (broker/runtime/child-runtime.ts).
 */
import { TransactionProducer } from '../../broker/client/transaction-producer.js';
import { LocalTransactionState, MessageProperty } from '../../broker/protocol/codes.js';
import { seededBytes, transactionDecision, producerOrdinal } from '../drills/drill-plan.js';
import type { ParentToTransactionRunner, TransactionEvent, TransactionRunnerConfig, TransactionRunnerToParent } from './transaction-runner-types.js';
import { requireChildConfig } from '../../broker/config/environment.js';
import { ChildRuntime } from '../../broker/runtime/child-runtime.js';

/** Transactions in flight at once; past this the runner falls behind its rate rather than queueing without bound. */
const MAX_IN_FLIGHT = 256;
const TICK_MS = 10;
const REPORT_MS = 20;

const runtime = new ChildRuntime<TransactionRunnerToParent, ParentToTransactionRunner>();
const send = (message: TransactionRunnerToParent) => runtime.send(message);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function main(): void {
  const config = requireChildConfig('ZL_TX_TRAFFIC') as TransactionRunnerConfig;
  const ordinal = producerOrdinal(config.producerId);
  const running = new Set<string>();
  let events: TransactionEvent[] = [];
  const decide = (producer: string, n: number) => transactionDecision(config.seed, producer, n);
  const producer = new TransactionProducer({
    producerGroup: config.producerGroup,
    producerId: config.producerId,
    namesrvAddr: config.namesrvAddr,
    sendMsgTimeout: config.sendMsgTimeout,
    checkLocalTransaction: (message) => {
      const id = message.properties.get(MessageProperty.UNIQ_KEY) ?? message.msgId;
      // A transaction of this process still doing its work is not decided yet.
      if (running.has(id)) return LocalTransactionState.UNKNOW;
      const producerId = message.properties.get(MessageProperty.ZL_PRODUCER) ?? '';
      // KEYS "<ordinal>-<n>" name the transaction; anything else is not one of this drill's.
      const m = /^(tx\d+)-(\d+)$/.exec(message.properties.get(MessageProperty.KEYS) ?? '');
      if (!m) return LocalTransactionState.ROLLBACK_MESSAGE;
      const decision = decide(m[1], Number(m[2]));
      events.push({ kind: 'checked', id, producerId, decision, atMs: Date.now() });
      return decision === 'COMMIT' ? LocalTransactionState.COMMIT_MESSAGE : LocalTransactionState.ROLLBACK_MESSAGE;
    },
  });
  let attempted = 0;
  let inFlight = 0;
  let stopped = false;
  let paused = false;
  const started = performance.now();

  const sendOne = async (n: number) => {
    const sentAtMs = Date.now();
    const t0 = performance.now();
    const body = seededBytes((config.seed + n) >>> 0, config.bodySize);
    try {
      await producer.sendMessageInTransaction({ topic: config.topic, body, keys: `${ordinal}-${n}` }, async (_message, { msgId, sendResult }) => {
        const queue = `${sendResult.brokerName}:${sendResult.queueId}`;
        const decision = decide(ordinal, n);
        events.push({
          kind: 'half', id: msgId, queueId: sendResult.queueId, seq: sendResult.seq, queue, status: sendResult.sendStatus,
          decision, sentAtMs, latencyMs: performance.now() - t0,
        });
        running.add(msgId);
        await sleep(config.localTransactionMs);
        running.delete(msgId);
        events.push({ kind: 'ended', id: msgId, decision, atMs: Date.now() });
        // Reported before END_TRANSACTION leaves (the IPC write goes first): a SIGKILL can never leave the
        // parent believing a transaction open whose END the broker already has.
        flush();
        return decision === 'COMMIT' ? LocalTransactionState.COMMIT_MESSAGE : LocalTransactionState.ROLLBACK_MESSAGE;
      });
    } catch (error) {
      const e = error as Error & { msgId?: string; queueId?: number; seq?: number };
      events.push({
        kind: 'half', id: e.msgId ?? '', queueId: e.queueId ?? -1, seq: e.seq ?? -1, queue: '', status: /timeout|ran out/i.test(e.message) ? 'TIMEOUT' : 'ERROR',
        error: e.message, sentAtMs, latencyMs: performance.now() - t0,
      });
    }
  };

  const tick = setInterval(() => {
    if (stopped || paused) return;
    const due = Math.floor(((performance.now() - started) / 1000) * config.rate) - attempted;
    for (let i = 0; i < due && inFlight < MAX_IN_FLIGHT; i++) {
      attempted++;
      inFlight++;
      void sendOne(attempted).finally(() => { inFlight--; });
    }
  }, TICK_MS);

  const flush = () => {
    if (events.length === 0) return;
    send({ type: 'events', events });
    events = [];
  };
  const report = setInterval(flush, REPORT_MS);

  runtime.onStop(async () => {
    stopped = true;
    clearInterval(tick);
    const deadline = performance.now() + 5000;
    while (inFlight > 0 && performance.now() < deadline) await sleep(20);
    clearInterval(report);
    if (events.length > 0) send({ type: 'events', events });
    events = [];
    send({ type: 'done', attempted });
    await producer.close().catch(() => undefined);
  });
  runtime.onMessage((message) => {
    if (message.type === 'stop') void runtime.stop('asked by the drill runner');
    if (message.type === 'pause') paused = true;
  });
  // Heartbeats first: the broker finds this producer for check-backs through them.
  producer.start().then(
    () => runtime.ready(),
    (error: Error) => runtime.fatal(`the transaction producer did not start: ${error.message}`),
  );
}

runtime.run(main);
