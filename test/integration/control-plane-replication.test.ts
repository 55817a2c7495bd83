/**
 * The slave as `npm start` runs it, driven through tRPC: it starts with the master and replicates
 * through the fault proxy; bad link-fault input and promotion without a slave are refused with a
 * sentence; a failover (kill the master, promote the slave) then a restart of the old master makes
 * it rejoin as a slave of the promoted one, truncated to the common prefix, in sync.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAppServer, trpc } from '../support/app-server';
import { waitFor } from '../support/broker-process';
import type { LiveState } from '../../server/live/types';

const state = async (url: string) => {
  const r = await trpc<LiveState>(url, 'cluster.state', undefined, 'query');
  assert.ok(r.ok, !r.ok ? r.message : '');
  return r.data;
};

test('control plane - slave, HA link faults, promotion and the old master rejoining', async () => {
  const app = await startAppServer();
  try {
    await waitFor('the slave replicates', async () => {
      const s = await state(app.url);
      return s.broker.state === 'running' && s.replication?.slave.state === 'running' && s.replication.connectionState === 'TRANSFER';
    }, 60_000);

    const bad = await trpc(app.url, 'cluster.setLinkFault', { direction: 'sideways', latencyMs: -5 });
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.message : '', /direction must be upstream/);
    const fault = await trpc<{ faults: { downstream: { latencyMs: number } } }>(app.url, 'cluster.setLinkFault', { direction: 'downstream', latencyMs: 50 });
    assert.ok(fault.ok && fault.data.faults.downstream.latencyMs === 50);
    assert.ok((await trpc(app.url, 'cluster.setLinkFault', { direction: 'both', latencyMs: 0, blackhole: false })).ok);

    assert.ok((await trpc(app.url, 'cluster.stopSlave')).ok);
    const unconfirmed = await trpc(app.url, 'cluster.promoteSlave', { brokerRole: 'SYNC_MASTER', confirm: 'broker-a master' });
    assert.equal(unconfirmed.ok, false);
    assert.match(!unconfirmed.ok ? unconfirmed.message : '', /^confirm: type "broker-a slave", the name of the target, to confirm/);
    const lonely = await trpc(app.url, 'cluster.promoteSlave', { brokerRole: 'SYNC_MASTER', confirm: 'broker-a slave' });
    assert.equal(lonely.ok, false);
    assert.match(!lonely.ok ? lonely.message : '', /no slave is running/);

    assert.ok((await trpc(app.url, 'cluster.startSlave')).ok);
    await waitFor('the slave replicates again', async () => (await state(app.url)).replication?.connectionState === 'TRANSFER', 30_000);

    assert.ok((await trpc(app.url, 'cluster.killBroker')).ok);
    await waitFor('the master is down', async () => (await state(app.url)).broker.state === 'crashed', 10_000);
    const promoted = await trpc<{ promotedAtOffset: number }>(app.url, 'cluster.promoteSlave', { brokerRole: 'ASYNC_MASTER', confirm: 'broker-a slave' });
    assert.ok(promoted.ok, !promoted.ok ? promoted.message : '');
    assert.equal((await state(app.url)).replication?.promotion?.promotedAtOffset, promoted.data.promotedAtOffset);

    assert.ok((await trpc(app.url, 'cluster.startBroker')).ok, 'the old master restarts');
    await waitFor('the old master rejoined as a slave', async () => {
      const r = (await state(app.url)).replication;
      return r?.masterHa?.role === 'SLAVE' && r.connectionState === 'TRANSFER' && !r.divergence && r.slaveHa?.slaveConnections === 1;
    }, 30_000);
  } finally {
    await app.stop();
  }
});
