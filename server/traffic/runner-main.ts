/**
 * The traffic runner: its own child process, so a producer crash is a real SIGKILL. It sends at
 * the configured rate through broker/client's Producer (traffic-loop.ts) and reports every send's
 * outcome to the control plane over IPC, batched every 50 ms. Its lifecycle (ready, stop, fatal errors) is the
 * child runtime's (broker/runtime/child-runtime.ts).
 */
import { randomBytes } from 'node:crypto';
import { Producer } from '../../broker/client/producer.js';
import { systemClock } from '../../broker/io/clock.js';
import { startTrafficLoop } from './traffic-loop.js';
import type { ParentToTraffic, SendOutcome, TrafficConfig, TrafficToParent } from '../../broker/ipc.js';
import { seededBytes } from '../drills/drill-plan.js';
import { parseLabBugs } from '../../broker/lab-bugs.js';
import { requireChildConfig } from '../../broker/config/environment.js';
import { childSessionCredentials } from '../../broker/acl/acl-signature.js';
import { ChildRuntime } from '../../broker/runtime/child-runtime.js';

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
    ...(config.retryAnotherBrokerWhenNotStoreOK !== undefined ? { retryAnotherBrokerWhenNotStoreOK: config.retryAnotherBrokerWhenNotStoreOK } : {}),
    ...(config.sendLatencyFaultEnable !== undefined ? { sendLatencyFaultEnable: config.sendLatencyFaultEnable } : {}),
    labBugs: parseLabBugs('labBugs', config.labBugs),
    credentials: childSessionCredentials(),
  });
  const body = config.bodySeed === undefined ? randomBytes(Math.max(0, config.bodySize)) : seededBytes(config.bodySeed, Math.max(0, config.bodySize));
  let outcomes: SendOutcome[] = [];
  const traffic = startTrafficLoop({
    producer, config, body, clock: systemClock,
    record: (outcome) => outcomes.push(outcome),
    finished: () => void runtime.stop('every message sent'),
  });

  const report = setInterval(() => {
    if (outcomes.length === 0) return;
    send({ type: 'outcomes', outcomes, faults: { avoided: producer.avoidedBrokers() } });
    outcomes = [];
  }, 50);

  runtime.onStop(async () => {
    await traffic.stop(5000);
    clearInterval(report);
    if (outcomes.length > 0) send({ type: 'outcomes', outcomes });
    outcomes = [];
    send({ type: 'done', attempted: traffic.attempted() });
    void producer.close();
  });
  runtime.onMessage((message) => {
    if (message.type === 'stop') void runtime.stop('asked by the control plane');
  });
  runtime.ready();
}

runtime.run(main);
