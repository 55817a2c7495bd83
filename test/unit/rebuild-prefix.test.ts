/**
 * Where a common-prefix rebuild of a slave cuts (server/cluster/broker-group.ts rebuildPrefixOf): the
 * offset the master vouched for when the slave was proven to hold records it lost, else the master's
 * promotion offset, else nowhere (only an empty rebuild is safe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rebuildPrefixOf } from '../../server/cluster/broker-group';
import type { HaStats } from '../../broker/ha/ha-types';

const stats = (extra: Partial<HaStats>): HaStats => ({ role: 'SLAVE', connectionState: 'TRANSFER', slaveConnections: 0, slaveAckOffset: -1, pushedOffset: -1, lagBytes: 0, lagMessages: 0, lagMs: 0, badFrames: 0, ...extra });

test('a divergence that proves a prefix comes first, then the promotion offset, then none', () => {
  const proven = stats({ connectionState: 'DIVERGED', divergence: { atMs: 1, reason: 'the master holds this slave\'s log only up to 800', slaveMaxOffset: 1200, masterOffset: 800 } });
  const promoted = stats({ role: 'ASYNC_MASTER', promotedAtOffset: 500 });
  assert.deepEqual(rebuildPrefixOf(proven, promoted), { offset: 800, source: 'divergence' });
  assert.deepEqual(rebuildPrefixOf(proven, undefined), { offset: 800, source: 'divergence' });
  // A master ahead of the slave proves nothing about where the logs agree.
  const ahead = stats({ connectionState: 'DIVERGED', divergence: { atMs: 1, reason: 'the master ships from 1500', slaveMaxOffset: 1200, masterOffset: 1500 } });
  assert.deepEqual(rebuildPrefixOf(ahead, promoted), { offset: 500, source: 'promotion' });
  assert.equal(rebuildPrefixOf(ahead, stats({ role: 'ASYNC_MASTER' })), undefined);
  assert.equal(rebuildPrefixOf(undefined, undefined), undefined);
});
