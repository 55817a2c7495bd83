/**
 * `npm run bench` (failover table): the recovery time of controller mode's automatic failover with
 * real processes. One group of three replicas (allAckInSyncStateSet), a sync producer sending 1 KiB
 * messages without pause; the master is SIGKILLed. RTO is measured as the drills do: from the first
 * failed send after the kill to the first SEND_OK after it. Two timer sets: RocketMQ's defaults
 * (controllerHeartBeatTimeoutMills 10 s, the controller's scans every 5 s, heartbeats every 1 s,
 * metadata every 5 s) and the lab's short ones (1.5 s, 200 ms). BENCH_FAILOVER_RUNS runs each
 * (default 3); also counted: SEND_OK lost (must be 0). Not part of `npm test`; no pass/fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Producer } from '../../broker/client/producer';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { defaultSettings } from '../../broker/config/broker-config';
import { parseOffsetMsgId } from '../../broker/protocol/message-record';
import { waitFor } from '../support/broker-process';
import { lastHa, startControllerGroup } from '../support/controller-group';

const RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 3);
const SEGMENT = 4 * 1024 * 1024;

const TIMERS = {
  'RocketMQ defaults': {
    controllerMode: { brokerHeartbeatInterval: 1000, syncBrokerMetadataPeriod: 5000, checkSyncStateSetPeriod: 5000, haMaxTimeSlaveNotCatchup: 15_000 },
    controller: { controllerHeartBeatTimeoutMills: 10_000, scanNotActiveBrokerInterval: 5000 },
  },
  'lab timers': {
    controllerMode: { brokerHeartbeatInterval: 200, syncBrokerMetadataPeriod: 500, checkSyncStateSetPeriod: 500, haMaxTimeSlaveNotCatchup: 3000 },
    controller: { controllerHeartBeatTimeoutMills: 1500, scanNotActiveBrokerInterval: 200 },
  },
} as const;

interface Run {
  rtoMs: number;
  electedAfterMs: number;
  sendOk: number;
  lost: number;
}

async function once(name: keyof typeof TIMERS): Promise<Run> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-failover-bench-'));
  const timers = TIMERS[name];
  const group = await startControllerGroup({ root, brokerName: 'broker-a', mappedFileSizeCommitLog: SEGMENT, controllerMode: { allAckInSyncStateSet: true, ...timers.controllerMode }, controller: timers.controller });
  const producer = new Producer({ producerGroup: 'failover-bench', producerId: 'p-failover', namesrvAddr: group.namesrv.address });
  try {
    const first = await group.replica(1);
    await waitFor('a master', () => lastHa(first.current())?.controller?.role === 'MASTER', 30_000);
    const others = [await group.replica(2), await group.replica(3)];
    await waitFor('the SyncStateSet of three', () => lastHa(first.current())?.controller?.syncStateSet.length === 3, 60_000);
    const acked: { offsetMsgId: string; body: string }[] = [];
    const outcomes: [number, boolean][] = [];
    let sending = true;
    const loop = (async () => {
      for (let i = 0; sending; i++) {
        const body = `m${i}`.padEnd(1024, '.');
        const at = performance.now();
        try {
          const result = await producer.send({ topic: 'TopicTest', body: Buffer.from(body) });
          const ok = result.sendStatus === 'SEND_OK';
          outcomes.push([at, ok]);
          if (ok) acked.push({ offsetMsgId: result.offsetMsgId, body });
        } catch {
          outcomes.push([at, false]);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    await waitFor('traffic', () => acked.length >= 200, 30_000);
    const killedAt = performance.now();
    await first.current().kill();
    const newMaster = await waitFor('a new master', () => others.find((r) => lastHa(r.current())?.controller?.role === 'MASTER'), 60_000);
    const electedAfterMs = performance.now() - killedAt;
    const okAfter = () => outcomes.some(([at, ok]) => ok && at > killedAt);
    await waitFor('SEND_OK after the failover', okAfter, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    sending = false;
    await loop;
    const firstFailure = outcomes.find(([at, ok]) => !ok && at >= killedAt)?.[0] ?? killedAt;
    const firstOk = outcomes.find(([at, ok]) => ok && at > firstFailure)![0];
    const dir = newMaster.current().storeDir;
    await newMaster.current().stop();
    const store = await DefaultMessageStore.open({ storePathRootDir: dir, storeHost: { ip: '127.0.0.1', port: 0 }, settings: () => ({ ...defaultSettings(), mappedFileSizeCommitLog: SEGMENT }) });
    const lost = acked.filter((a) => store.lookMessageByOffset(parseOffsetMsgId(a.offsetMsgId)!.commitLogOffset)?.body.toString() !== a.body).length;
    await store.shutdown();
    return { rtoMs: firstOk - firstFailure, electedAfterMs, sendOk: acked.length, lost };
  } finally {
    await producer.close();
    await group.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`controller-mode failover, one group of three, allAckInSyncStateSet, ${RUNS} run(s) per row`);
console.log('| timers | RTO ms (median; runs) | elected after kill, ms (median) | SEND_OK | SEND_OK lost |');
console.log('|---|--:|--:|--:|--:|');
for (const name of Object.keys(TIMERS) as (keyof typeof TIMERS)[]) {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(name));
  const rtos = runs.map((r) => Math.round(r.rtoMs));
  console.log(`| ${name} | ${median(rtos)} (${rtos.join(', ')}) | ${Math.round(median(runs.map((r) => r.electedAfterMs)))} | ${runs.reduce((n, r) => n + r.sendOk, 0)} | ${runs.reduce((n, r) => n + r.lost, 0)} |`);
}
