/**
 * The real broker process over real TCP: sends under both flush types land in the commit-log file;
 * flushDiskType flips live through UPDATE_BROKER_CONFIG; bad frames close only their connection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Producer } from '../../broker/client/producer';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { createRequest } from '../../broker/protocol/remoting-command';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { startBroker, type BrokerProcess } from '../support/broker-process';

function commitLogBytes(storeDir: string): Buffer {
  const dir = path.join(storeDir, 'commitlog');
  return Buffer.concat(fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f))));
}

describe('broker process', () => {
  let broker: BrokerProcess;
  let producer: Producer;
  const admin = new RemotingClient();

  before(async () => {
    broker = await startBroker();
    producer = new Producer({ producerGroup: 'it-producer', producerId: 'it-1', brokerAddr: broker.addr });
  });
  after(async () => {
    producer.close();
    admin.close();
    await broker.stop();
    fs.rmSync(broker.storeDir, { recursive: true, force: true });
  });

  const flip = async (flushDiskType: string) => {
    const response = await admin.invoke(broker.addr, createRequest(RequestCode.UPDATE_BROKER_CONFIG, {}, Buffer.from(`flushDiskType=${flushDiskType}\n`)), 3000);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
  };

  for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
    test(`send under ${flushDiskType} - SEND_OK, and the body is in the commit-log file`, async () => {
      await flip(flushDiskType);
      const marker = `zeroloss-${flushDiskType}-${Date.now()}`;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => producer.send({ topic: 'TopicTest', body: Buffer.from(`${marker}-${i}`) })));
      for (const r of results) {
        assert.equal(r.sendStatus, 'SEND_OK');
        assert.match(r.offsetMsgId, /^7F000001[0-9A-F]{24}$/, 'offsetMsgId = store IP, port, commit-log offset');
        assert.ok(r.queueOffset >= 0);
      }
      const bytes = commitLogBytes(broker.storeDir);
      for (let i = 0; i < 20; i++) assert.ok(bytes.includes(Buffer.from(`${marker}-${i}`)), `message ${i} is in the file`);
      const settingsEvents = broker.messages.filter((m) => m.type === 'settings');
      assert.equal(settingsEvents.at(-1)?.type === 'settings' && settingsEvents.at(-1)!.settings.flushDiskType, flushDiskType);
    });
  }

  test('UPDATE_BROKER_CONFIG with a bad value is refused naming the field and rule', async () => {
    const response = await admin.invoke(broker.addr, createRequest(RequestCode.UPDATE_BROKER_CONFIG, {}, Buffer.from('flushDiskType=FASTEST\n')), 3000);
    assert.equal(response.code, ResponseCode.SYSTEM_ERROR);
    assert.match(response.remark ?? '', /flushDiskType must be SYNC_FLUSH or ASYNC_FLUSH/);
  });

  test('an unsupported request code gets REQUEST_CODE_NOT_SUPPORTED naming the code', async () => {
    const response = await admin.invoke(broker.addr, createRequest(9999), 3000);
    assert.equal(response.code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    assert.match(response.remark ?? '', /9999/);
  });

  test('a message over maxMessageSize gets MESSAGE_ILLEGAL with the limit in the remark', async () => {
    await assert.rejects(producer.send({ topic: 'TopicTest', body: Buffer.alloc(4 * 1024 * 1024 + 1) }), (error: Error & { responseCode?: number }) => {
      assert.equal(error.responseCode, ResponseCode.MESSAGE_ILLEGAL);
      assert.match(error.message, /4194304/);
      return true;
    });
  });

  test('a frame with an impossible length closes that connection only', async () => {
    const bad = net.connect({ host: '127.0.0.1', port: broker.port });
    await new Promise((r) => bad.once('connect', r));
    const closed = new Promise((r) => bad.once('close', r));
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(0x7ffffff0, 0);
    bad.write(frame);
    await closed;
    const garbage = net.connect({ host: '127.0.0.1', port: broker.port });
    await new Promise((r) => garbage.once('connect', r));
    const closed2 = new Promise((r) => garbage.once('close', r));
    garbage.write(Buffer.from([0, 0, 0, 12, 0, 0, 0, 8, 0x7b, 0x7b, 0x7b, 0x7b, 0, 0, 0, 0]));
    await closed2;
    const r = await producer.send({ topic: 'TopicTest', body: Buffer.from('still serving') });
    assert.equal(r.sendStatus, 'SEND_OK', 'the broker keeps serving other connections');
    assert.equal(broker.child.exitCode, null);
  });
});
