/**
 * The control plane runs RocketMQ 5's controller mode (server/cluster/controller-mode-group.ts,
 * controller-node.ts) on real processes: enableControllerMode is a setting; flipping it restarts the
 * cluster with a controller process and three replicas that take their roles from it. A contradiction
 * is refused naming both keys before anything stops. Every replica's and the controller's settings are
 * verified as a drill would. Then the controller-failover drill's safe side on a cluster of its own: the
 * elected master's machine crashes, the controller elects a SyncStateSet member, the old master rejoins
 * as a slave, and no SEND_OK is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer } from '../../broker/client/producer';
import { waitFor } from '../support/broker-process';
import { tempDatabase } from '../support/temp-lab';
import { contrastInput, startMatrixCluster } from '../../server/drills/matrix';
import { CONTROLLER_LAB_TIMERS, drillSpec } from '../../server/drills/catalog';


test('control plane - controller mode: a setting restarts the cluster under a controller that elects the master; a contradiction is refused naming both keys', async () => {
  const db = await tempDatabase('zeroloss-cp-controller-');
  const { createLab } = await import('../../server/lab');
  const lab = createLab({ prisma: db.prisma, dataDir: db.dataDir, brokerPort: 0, namesrvPort: 0, startSlave: true, topology: { groups: 1, replicas: 3 } });
  const cp = lab.controlPlane;
  let producer: Producer | undefined;
  try {
    await cp.start();
    assert.equal(cp.state().topology.controllerMode, false);

    // A contradiction is refused naming both keys, and nothing stops.
    await assert.rejects(cp.updateSettings({ enableControllerMode: true, brokerRole: 'SYNC_MASTER' }), /brokerRole=SYNC_MASTER contradicts enableControllerMode=true/);
    assert.equal(cp.settings.get().enableControllerMode, false);
    assert.ok(cp.nodes.every((n) => n.running), 'the refusal stopped nothing');

    await cp.updateSettings({ enableControllerMode: true, allAckInSyncStateSet: true, ...CONTROLLER_LAB_TIMERS });
    await cp.waitForMasters();
    const state = cp.state();
    assert.equal(state.topology.controllerMode, true);
    assert.equal(state.topology.controller?.status.state, 'running');
    assert.equal(state.topology.groups[0]!.master, 'broker-a/0', 'the first replica to register is the first master');
    assert.throws(() => cp.group, /controller mode/, 'promotion and rebuild are refused: the controller elects');
    assert.deepEqual((await cp.verifyNodeSettings(cp.settings.get())).mismatches, [], 'every replica and the controller run the saved settings');
    // The Drills page still lists every drill: the classic ones say why they cannot run in controller mode.
    const catalog = lab.drillRunner.catalog();
    assert.match(catalog.find((d) => d.id === 'master-disk-loss')!.waitingFor ?? '', /runs in classic mode.*set enableControllerMode to false/);
    assert.equal(catalog.find((d) => d.id === 'controller-failover')!.runnable, true);
    await waitFor('the SyncStateSet holds all three', () => cp.state().topology.groups[0]!.controller?.syncStateSet.length === 3, 15_000);

    await cp.createTopic({ topic: 'CmTopic', queueNums: 2, perm: 6 });
    producer = new Producer({ producerGroup: 'cp-controller-test', producerId: 'p-cm', namesrvAddr: cp.namesrv.address, retryTimesWhenSendFailed: 4 });
    const p = producer;
    await waitFor('the route is known', () => p.send({ topic: 'CmTopic', body: Buffer.from('warm-up') }).then((r) => r.sendStatus === 'SEND_OK', () => false), 15_000);
    for (let i = 0; i < 10; i++) assert.equal((await producer.send({ topic: 'CmTopic', body: Buffer.from(`m-${i}`) })).sendStatus, 'SEND_OK');
    // (A master lost and replaced by election, and its rejoin, are the controller-failover drill's: the next test.)
  } finally {
    await producer?.close();
    await lab.stop();
    await db.remove();
  }
});

test('drill controller-failover, safe side: allAckInSyncStateSet keeps every SEND_OK through an election; the old master rejoins as a slave', async () => {
  const cluster = await startMatrixCluster({ groups: 1, replicas: 3 });
  try {
    const { runId } = await cluster.runner.run(contrastInput(drillSpec('controller-failover'), 'safe', 5, { durationSec: 6 }));
    await cluster.runner.wait(runId);
    const run = (await cluster.runner.get({ runId, anomalyLimit: 10 }))!;
    assert.equal(run.status, 'done', run.error ?? '');
    assert.equal(run.verdict, 'PASS', run.verdictReason ?? '');
    const s = run.summary!;
    assert.equal(s.lostAcked, 0);
    assert.ok(s.acknowledged.SEND_OK > 300, `SEND_OK ${s.acknowledged.SEND_OK}`);
    assert.ok(s.recovery.rtoMs !== null && s.recovery.rtoMs > 0, `an RTO is measured: ${JSON.stringify(s.recovery)}`);
    assert.ok(run.events.some((e) => /broker-a\/[12] is master at epoch \d+/.test(e.message)), 'the election is on the timeline');
    assert.ok(run.events.some((e) => /rejoined as a slave/.test(e.message)), 'the old master rejoined');
    assert.equal(cluster.controlPlane.controllerMode, false, 'the run restored classic mode');
  } finally {
    await cluster.close();
  }
});
