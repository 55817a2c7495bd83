/**
 * The cluster's shape as data (server/cluster/topology.ts): the schema's refusals name the field and
 * the rule, the default is one group of master + slave, and a shape is refused with the machine's
 * memory when its broker processes would not fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROKER_PROCESS_MB, DEFAULT_TOPOLOGY, TopologySchema, describeTopology, groupName, settingsContradiction, topologyRefusal } from '../../server/cluster/topology';
import { defaultSettings } from '../../broker/config/broker-config';

test('topology - the schema names the field and the rule; the default is master + slave', () => {
  assert.deepEqual(DEFAULT_TOPOLOGY, { groups: 1, replicas: 2 });
  assert.equal(describeTopology(DEFAULT_TOPOLOGY), '1 group × 2 replicas (master + slave)');
  assert.equal(describeTopology({ groups: 2, replicas: 3 }), '2 groups × 3 replicas (master + 2 slaves each)');
  const issues = (input: unknown) => {
    const r = TopologySchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  assert.deepEqual(issues({ groups: 2, replicas: 4 }), ['replicas: replicas must be at most 3 on this machine (a master and two slaves)']);
  assert.deepEqual(issues({ groups: 0, replicas: 1 }), ['groups: groups must be at least 1']);
  assert.deepEqual(issues({ groups: 1.5, replicas: 2 }), ['groups: groups must be a whole number']);
  assert.deepEqual(issues({ groups: 9, replicas: 1 }), ['groups: groups must be at most 8 (broker-a to broker-h)']);
  assert.equal(issues({ groups: 1, replicas: 2, controller: true }).length, 1, 'an unknown key is refused');
  assert.deepEqual([0, 1, 7].map(groupName), ['broker-a', 'broker-b', 'broker-h']);
});

test('topology - a shape whose broker processes do not fit in memory is refused with the figures', () => {
  assert.equal(topologyRefusal({ groups: 8, replicas: 3 }, 24_000), undefined);
  const small = 1024 + 3 * BROKER_PROCESS_MB;
  assert.equal(topologyRefusal({ groups: 1, replicas: 3 }, small), undefined);
  const refusal = topologyRefusal({ groups: 2, replicas: 2 }, small);
  assert.match(refusal ?? '', /^2 groups × 2 replicas \(master \+ slave each\) is 4 broker processes, about \d+ MB with the rest of the lab; this machine has \d+ MB, enough for 3$/);
});

test('settings that contradict controller mode or the topology are refused naming both keys', () => {
  const base = { ...defaultSettings(), enableControllerMode: true };
  const three = { groups: 1, replicas: 3 };
  assert.equal(settingsContradiction(base, three), undefined);
  assert.equal(settingsContradiction({ ...base, enableControllerMode: false, brokerRole: 'SYNC_MASTER', minInSyncReplicas: 3 }, { groups: 1, replicas: 1 }), undefined, 'classic mode has no such rule');
  assert.match(settingsContradiction({ ...base, brokerRole: 'SYNC_MASTER' }, three)!, /brokerRole=SYNC_MASTER contradicts enableControllerMode=true/);
  assert.match(settingsContradiction({ ...base, minInSyncReplicas: 3 }, { groups: 2, replicas: 2 })!, /minInSyncReplicas=3 contradicts replicas=2/);
  assert.match(settingsContradiction({ ...base, inSyncReplicas: 3 }, { groups: 1, replicas: 2 })!, /inSyncReplicas=3 contradicts replicas=2/);
});
