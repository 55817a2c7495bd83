/**
 * The name server's route table (broker/namesrv/route-info-manager.ts) keeps, per group, one address
 * per brokerId as RocketMQ's brokerAddrTable does: the newest registration takes a slot unless its
 * holder registered a higher stateVersion (the master epoch in controller mode).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteInfoManager, type BrokerRegistration } from '../../broker/namesrv/route-info-manager';

const TOPIC = { topicName: 'T', readQueueNums: 4, writeQueueNums: 4, perm: 6 };

function registration(brokerAddr: string, brokerId: number, stateVersion = 0): BrokerRegistration {
  return { clusterName: 'C', brokerName: 'broker-a', brokerId, brokerAddr, haServerAddr: `${brokerAddr}-ha`, topics: [TOPIC], stateVersion };
}

const addrsOf = (routes: RouteInfoManager) => routes.pickupTopicRouteData('T')?.brokerDatas[0]?.brokerAddrs;

test('route table - a slave that becomes master moves to slot 0; a slave learns the master from its registration', () => {
  const routes = new RouteInfoManager();
  routes.registerBroker(registration('m:1', 0));
  assert.deepEqual(routes.registerBroker(registration('s:1', 1)), { masterAddr: 'm:1', haServerAddr: 'm:1-ha' });
  assert.deepEqual(addrsOf(routes), { 0: 'm:1', 1: 's:1' });
  assert.equal(routes.unregisterBroker('m:1'), true);
  assert.deepEqual(addrsOf(routes), { 1: 's:1' });
  routes.registerBroker(registration('s:1', 0));
  assert.deepEqual(addrsOf(routes), { 0: 's:1' }, 'one address holds one slot');
  assert.deepEqual(routes.clusterInfo(), { brokerAddrTable: { 'broker-a': { cluster: 'C', brokerName: 'broker-a', brokerAddrs: { 0: 's:1' } } }, clusterAddrTable: { C: ['broker-a'] } });
});

test('route table - a replaced master with an older epoch cannot take brokerId 0 back (apache/rocketmq#7017)', () => {
  const routes = new RouteInfoManager();
  routes.registerBroker(registration('old:1', 0, 1));
  routes.registerBroker(registration('b:1', 2, 1));
  // The controller elects b at epoch 2 while old, cut from it, still reaches the name server.
  assert.deepEqual(routes.registerBroker(registration('b:1', 0, 2)), {});
  assert.deepEqual(addrsOf(routes), { 0: 'b:1' });
  assert.deepEqual(routes.registerBroker(registration('old:1', 0, 1)), { ignored: { holder: 'b:1', holderStateVersion: 2 } });
  assert.deepEqual(addrsOf(routes), { 0: 'b:1' }, 'its periodic registration is ignored');
  assert.deepEqual(routes.topics().map((t) => t.brokers.map((b) => b.brokerName)), [['broker-a']]);
  assert.equal(routes.unregisterBroker('old:1'), false, 'and it left the live table');
  // Rejoining as a slave under its own id it is routed again.
  assert.deepEqual(routes.registerBroker(registration('old:1', 1, 2)), { masterAddr: 'b:1', haServerAddr: 'b:1-ha' });
  assert.deepEqual(addrsOf(routes), { 0: 'b:1', 1: 'old:1' });
});

test('route table - with equal stateVersions (classic mode) the newest registration takes the slot', () => {
  const routes = new RouteInfoManager();
  routes.registerBroker(registration('a:1', 0));
  routes.registerBroker(registration('b:1', 0));
  assert.deepEqual(addrsOf(routes), { 0: 'b:1' });
  assert.deepEqual(routes.connectionClosed(7), [], 'no registration came over connection 7');
  assert.equal(routes.unregisterBroker('b:1'), true);
  assert.equal(routes.pickupTopicRouteData('T'), null, 'a:1 lost its slot to b:1 and is routed again only when it registers');
  routes.registerBroker(registration('a:1', 0));
  assert.deepEqual(addrsOf(routes), { 0: 'a:1' });
});
