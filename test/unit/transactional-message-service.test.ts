/**
 * TransactionalMessageService and EndTransactionProcessor on an in-process store: a half is
 * invisible until committed, a repeated verdict publishes once, a contradicting one is refused, a
 * SLAVE refuses END_TRANSACTION, and a check pass asks only about halves older than transactionTimeOut.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageSysFlag, RequestCode, ResponseCode, RMQ_SYS_TRANS_HALF_TOPIC } from '../../broker/protocol/codes';
import { createRequest, type RemotingCommand } from '../../broker/protocol/remoting-command';
import { TransactionalMessageService } from '../../broker/transaction/transactional-message-service';
import { isPreparedSend, parseHalfMessageInner } from '../../broker/transaction/transactional-message-bridge';
import { createEndTransactionProcessor } from '../../broker/processors/end-transaction-processor';
import type { BrokerSettings } from '../../broker/config/broker-config';
import type { DefaultMessageStore } from '../../broker/store/message-store';
import { message, openStore, tempDir, testSettings } from '../support/store-fixtures';

async function putHalf(store: DefaultMessageStore, uniqKey: string, bornTimestamp = Date.now()) {
  const m = message({ uniqKey, sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE, queueId: 1, bornTimestamp });
  m.properties.set('TRAN_MSG', 'true');
  m.properties.set('PGROUP', 'pg');
  assert.equal(isPreparedSend(m), true);
  parseHalfMessageInner(m);
  const result = await store.putMessage(m);
  assert.equal(result.status, 'PUT_OK');
  return result.append!;
}

function setup(settings: BrokerSettings, store: DefaultMessageStore, checks: { group: string; request: RemotingCommand }[], live = true) {
  return new TransactionalMessageService({
    store,
    settings: () => settings,
    sendCheck: (group, request) => {
      checks.push({ group, request });
      return live;
    },
  });
}

test('commit publishes once: a repeated COMMIT only marks the half, a contradicting ROLLBACK is refused', async (t) => {
  const settings = testSettings();
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const service = setup(settings, store, []);
  const half = await putHalf(store, 'TX-1');
  assert.equal(store.getMaxOffsetInQueue('TopicTest', 1), 0, 'a half is invisible on its real topic');
  assert.equal(store.getMaxOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, 0), 1);
  const header = { producerGroup: 'pg', tranStateTableOffset: half.queueOffset, commitLogOffset: half.wroteOffset, commitOrRollback: MessageSysFlag.TRANSACTION_COMMIT_TYPE, fromTransactionCheck: false, transactionId: 'TX-1' };
  assert.deepEqual(await service.endTransaction(header), { code: ResponseCode.SUCCESS });
  const again = await service.endTransaction({ ...header, fromTransactionCheck: true });
  assert.equal(again.code, ResponseCode.SUCCESS);
  assert.match(again.remark!, /already resolved with COMMIT/);
  const rollback = await service.endTransaction({ ...header, commitOrRollback: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE });
  assert.equal(rollback.code, ResponseCode.SYSTEM_ERROR);
  assert.match(rollback.remark!, /already resolved with COMMIT: ROLLBACK refused/);
  assert.equal(store.getMaxOffsetInQueue('TopicTest', 1), 1, 'published exactly once');
  assert.equal(service.committedTotal, 1);
});

test('a SLAVE answers END_TRANSACTION with SLAVE_NOT_AVAILABLE', async (t) => {
  const settings = testSettings({ brokerRole: 'SLAVE' });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const processor = createEndTransactionProcessor({ service: setup(settings, store, []), settings: () => settings });
  const response = await processor(createRequest(RequestCode.END_TRANSACTION, { producerGroup: 'pg', tranStateTableOffset: 0, commitLogOffset: 0, commitOrRollback: 8 }));
  assert.equal(response.code, ResponseCode.SLAVE_NOT_AVAILABLE);
});

test('a check pass asks about old open halves only, once per pass, and counts checks without a channel', async (t) => {
  const settings = testSettings({ transactionTimeOut: 60_000, transactionCheckMax: 2 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const checks: { group: string; request: RemotingCommand }[] = [];
  const service = setup(settings, store, checks, false);
  await putHalf(store, 'OLD', Date.now() - 120_000);
  const resolved = await putHalf(store, 'DONE', Date.now() - 120_000);
  await putHalf(store, 'YOUNG');
  await service.endTransaction({ producerGroup: 'pg', tranStateTableOffset: resolved.queueOffset, commitLogOffset: resolved.wroteOffset, commitOrRollback: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE, fromTransactionCheck: false });

  const first = await service.check();
  assert.equal(first.checked, 1, 'only OLD: DONE has an op, YOUNG is younger than transactionTimeOut');
  assert.equal(first.noChannel, 1);
  assert.equal(checks[0].group, 'pg');
  assert.equal(checks[0].request.code, RequestCode.CHECK_TRANSACTION_STATE);
  assert.equal(checks[0].request.extFields?.transactionId, 'OLD');
  assert.equal(first.halfOffset, 2, 'stopped at YOUNG');

  await new Promise((r) => setTimeout(r, 5)); // the copy was stored during the first pass
  settings.transactionTimeOut = 1;
  const second = await service.check();
  assert.deepEqual(checks.slice(1).map((c) => c.request.extFields?.transactionId), ['YOUNG', 'OLD'], 'OLD asked again through its copy');
  assert.equal(second.discarded, 0);
  await new Promise((r) => setTimeout(r, 5));
  const third = await service.check();
  assert.equal(third.discarded, 1, 'OLD reached transactionCheckMax = 2');
  assert.equal(service.discardedTotal, 1);
  assert.equal(store.getMaxOffsetInQueue('TRANS_CHECK_MAX_TIME_TOPIC', 0), 1);
});
