import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerSettingsPatchSchema, BrokerSettingsSchema, defaultSettings, describeSettingsError, settingInfo } from '../../broker/config/broker-config';
import { parseBrokerConf, toBrokerConf } from '../../broker/config/properties';

test('settings - defaults are RocketMQ defaults', () => {
  const s = defaultSettings();
  assert.equal(s.flushDiskType, 'ASYNC_FLUSH');
  assert.equal(s.brokerRole, 'ASYNC_MASTER');
  assert.equal(s.syncFlushTimeout, 5000);
  assert.equal(s.slaveTimeout, 3000);
  assert.equal(s.flushIntervalCommitLog, 500);
  assert.equal(s.flushCommitLogLeastPages, 4);
  assert.equal(s.flushCommitLogThoroughInterval, 10_000);
  assert.equal(s.maxMessageSize, 4 * 1024 * 1024);
  assert.equal(s.haMaxGapNotInSync, 256 * 1024 * 1024);
  assert.equal(s.sendMsgTimeout, 3000);
  assert.equal(s.retryTimesWhenSendFailed, 2);
  assert.equal(s.maxReconsumeTimes, 16);
});

test('settings - every key has an explanation', () => {
  assert.deepEqual(Object.keys(settingInfo).sort(), Object.keys(BrokerSettingsSchema.shape).sort());
});

test('settings - a patch fills no defaults and names the field and rule on bad input', () => {
  assert.deepEqual(BrokerSettingsPatchSchema.parse({ flushDiskType: 'SYNC_FLUSH' }), { flushDiskType: 'SYNC_FLUSH' });
  const bad = BrokerSettingsPatchSchema.safeParse({ flushDiskType: 'FAST_FLUSH', syncFlushTimeout: -1, bogus: 1 });
  assert.equal(bad.success, false);
  const message = describeSettingsError(bad.error!);
  assert.match(message, /flushDiskType must be SYNC_FLUSH or ASYNC_FLUSH/);
  assert.match(message, /syncFlushTimeout must be at least 1 ms/);
  assert.match(message, /bogus/);
});

test('settings - broker.conf text round-trips and unknown RocketMQ keys are reported, not fatal', () => {
  const { patch, ignoredKeys } = parseBrokerConf('# comment\nbrokerClusterName=DefaultCluster\nflushDiskType=SYNC_FLUSH\nsyncFlushTimeout = 800\nretryAnotherBrokerWhenNotStoreOK=true\n');
  assert.deepEqual(patch, { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 800, retryAnotherBrokerWhenNotStoreOK: true });
  assert.deepEqual(ignoredKeys, ['brokerClusterName']);
  assert.deepEqual(parseBrokerConf(toBrokerConf(patch)).patch, patch);
  assert.throws(() => parseBrokerConf('flushIntervalCommitLog=soon'), /flushIntervalCommitLog/);
});
