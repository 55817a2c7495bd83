/**
 * Real broker processes under load, really killed. After SIGKILL every SEND_OK message is readable
 * after restart, under both flush types (the page cache survives a process crash). After a power cut
 * (files cut to their fdatasync'd length, then SIGKILL) no SEND_OK message is lost under SYNC_FLUSH, and
 * under ASYNC_FLUSH exactly the records past the durable watermark are gone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../server/cluster/child-process';
import { Producer, type SendResult } from '../../broker/client/producer';
import { parseOffsetMsgId } from '../../broker/protocol/message-record';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { defaultSettings, type BrokerSettings } from '../../broker/config/broker-config';
import type { BrokerToParent } from '../../broker/ipc';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';

interface Acked {
  result: SendResult;
  body: string;
}

/** Sends with `concurrency` sync senders until stopped; collects every SEND_OK. */
function load(producer: Producer, concurrency: number) {
  const acked: Acked[] = [];
  let stopped = false;
  let n = 0;
  const senders = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      const body = `msg-${n++}-`.padEnd(512, 'z');
      try {
        const result = await producer.send({ topic: 'TopicTest', body: Buffer.from(body) });
        if (result.sendStatus === 'SEND_OK') acked.push({ result, body });
      } catch {
        return; // the broker is gone
      }
    }
  });
  return { acked, stop: async () => { stopped = true; await Promise.all(senders); } };
}

async function openStoreAfter(storeDir: string, settings: BrokerSettings): Promise<DefaultMessageStore> {
  return DefaultMessageStore.open({ storePathRootDir: storeDir, storeHost: { ip: '127.0.0.1', port: 1 }, settings: () => settings });
}

function commitLogOffsetOf(acked: Acked): number {
  const parsed = parseOffsetMsgId(acked.result.offsetMsgId);
  assert.ok(parsed, `offsetMsgId ${acked.result.offsetMsgId} parses`);
  return parsed.commitLogOffset;
}

async function runUntilAcked(broker: BrokerProcess, count: number) {
  const producer = new Producer({ producerGroup: 'crash-it', producerId: 'crash-1', brokerAddr: broker.addr, retryTimesWhenSendFailed: 0 });
  const traffic = load(producer, 16);
  await waitFor(`${count} SEND_OK`, () => traffic.acked.length >= count, 30_000);
  return { producer, traffic };
}

describe('crash recovery with real processes', () => {
  for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
    test(`SIGKILL under load, ${flushDiskType}: every SEND_OK message is readable after restart`, async () => {
      const settings = { ...defaultSettings(), flushDiskType };
      const broker = await startBroker({ settings });
      try {
        const { producer, traffic } = await runUntilAcked(broker, 400);
        await broker.kill();
        await traffic.stop();
        producer.close();

        const restarted = await startBroker({ storeDir: broker.storeDir, settings });
        const ready = restarted.messages.find((m) => m.type === 'ready') as Extract<BrokerToParent, { type: 'ready' }>;
        assert.equal(ready.recovery.abnormal, true, 'the abort file marked the unclean stop');
        await restarted.stop();

        const store = await openStoreAfter(broker.storeDir, settings);
        try {
          for (const a of traffic.acked) {
            const message = store.lookMessageByOffset(commitLogOffsetOf(a));
            assert.ok(message, `SEND_OK message ${a.result.msgId} survived`);
            assert.equal(message.body.toString(), a.body);
          }
        } finally {
          await store.shutdown();
        }
      } finally {
        await broker.kill();
        fs.rmSync(broker.storeDir, { recursive: true, force: true });
      }
    });
  }

  test('power loss under SYNC_FLUSH: no SEND_OK message is lost', async () => {
    const settings = { ...defaultSettings(), flushDiskType: 'SYNC_FLUSH' as const };
    const broker = await startBroker({ settings });
    try {
      const { producer, traffic } = await runUntilAcked(broker, 300);
      broker.send({ type: 'powerLoss' });
      const exit = await broker.exited;
      assert.equal(exit.signal, 'SIGKILL');
      await traffic.stop();
      producer.close();
      const store = await openStoreAfter(broker.storeDir, settings);
      try {
        assert.equal(store.recoveryReport().abnormal, true);
        for (const a of traffic.acked) assert.ok(store.lookMessageByOffset(commitLogOffsetOf(a)), `SEND_OK ${a.result.msgId} survived the power cut`);
      } finally {
        await store.shutdown();
      }
    } finally {
      fs.rmSync(broker.storeDir, { recursive: true, force: true });
    }
  });

  test('power loss under ASYNC_FLUSH: exactly the records past the durable watermark are gone', async () => {
    // A long flush interval keeps an unflushed tail to lose.
    const settings = { ...defaultSettings(), flushDiskType: 'ASYNC_FLUSH' as const, flushIntervalCommitLog: 300, flushCommitLogLeastPages: 64 };
    const broker = await startBroker({ settings });
    try {
      const { producer, traffic } = await runUntilAcked(broker, 1500);
      broker.send({ type: 'powerLoss' });
      await broker.exited;
      await traffic.stop();
      producer.close();
      const cut = broker.messages.find((m) => m.type === 'powerCut') as Extract<BrokerToParent, { type: 'powerCut' }>;
      assert.ok(cut, 'the broker reported its power cut');
      const store = await openStoreAfter(broker.storeDir, settings);
      try {
        // Records are contiguous: recovery keeps the whole records below the durable watermark, no more, no less.
        const validEnd = store.maxPhyOffset();
        assert.ok(validEnd <= cut.flushedOffset, `recovery kept nothing past the watermark (${validEnd} <= ${cut.flushedOffset})`);
        assert.ok(cut.flushedOffset - validEnd < 1024, `no whole record under the watermark was dropped (gap ${cut.flushedOffset - validEnd} bytes < one record)`);
        assert.ok(cut.maxOffset > cut.flushedOffset, `an unflushed tail existed (${cut.maxOffset - cut.flushedOffset} bytes)`);
        let kept = 0;
        let lost = 0;
        for (const a of traffic.acked) {
          const offset = commitLogOffsetOf(a);
          const message = store.lookMessageByOffset(offset);
          assert.equal(message !== null, offset < validEnd, `record at ${offset} is kept exactly when it lies below ${validEnd}`);
          if (message) {
            kept++;
            assert.equal(message.body.toString(), a.body);
          } else lost++;
        }
        assert.ok(lost > 0, `SEND_OK messages in the unflushed window were lost (${lost} lost, ${kept} kept)`);
      } finally {
        await store.shutdown();
      }
    } finally {
      fs.rmSync(broker.storeDir, { recursive: true, force: true });
    }
  });

  test('power loss strikes at its worst moment: a cut asked for while everything is flushed waits for an acknowledged, unflushed record and takes it', async () => {
    const settings = { ...defaultSettings(), flushDiskType: 'ASYNC_FLUSH' as const, flushIntervalCommitLog: 100, flushCommitLogLeastPages: 0 };
    const broker = await startBroker({ settings });
    const producer = new Producer({ producerGroup: 'crash-it', producerId: 'worst-moment', brokerAddr: broker.addr, retryTimesWhenSendFailed: 0 });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await producer.send({ topic: 'TopicTest', body: Buffer.from(`early-${i}`) })).sendStatus, 'SEND_OK');
      await waitFor('every record flushed', () => {
        const stats = broker.messages.findLast((m) => m.type === 'stats');
        return stats?.type === 'stats' && stats.stats.unflushedBytes === 0;
      });
      // Nothing is unflushed now: a cut at once would take nothing. The cut waits for the next record.
      broker.send({ type: 'powerLoss' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(broker.messages.some((m) => m.type === 'powerCut'), false, 'no cut while nothing is at stake');
      const late = await producer.send({ topic: 'TopicTest', body: Buffer.from('late') });
      assert.equal(late.sendStatus, 'SEND_OK');
      const exit = await broker.exited;
      assert.equal(exit.signal, 'SIGKILL');
      const cut = broker.messages.find((m) => m.type === 'powerCut') as Extract<BrokerToParent, { type: 'powerCut' }>;
      assert.ok(cut.maxOffset > cut.flushedOffset, `the cut found an unflushed tail (${cut.maxOffset - cut.flushedOffset} bytes)`);
      const store = await openStoreAfter(broker.storeDir, settings);
      try {
        const offset = parseOffsetMsgId(late.offsetMsgId)!.commitLogOffset;
        assert.equal(store.lookMessageByOffset(offset), null, 'the acknowledged, unflushed record was taken by the cut');
      } finally {
        await store.shutdown();
      }
    } finally {
      producer.close();
      await broker.kill();
      fs.rmSync(broker.storeDir, { recursive: true, force: true });
    }
  });

  test('power loss while the control plane is not reading: the cut report and every stage event before it still arrive', async () => {
    const settings = { ...defaultSettings(), flushDiskType: 'ASYNC_FLUSH' as const, flushIntervalCommitLog: 300 };
    const broker = await startBroker({ settings });
    // The traffic comes from another process: this one is about to stop reading for a while.
    const load = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/support/load-producer-main.ts'), broker.addr, '16'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let partial = '';
    load.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      acked.push(...lines);
    });
    const loadExited = new Promise((resolve) => load.once('exit', resolve));
    try {
      await waitFor('the load producer under way', () => acked.length >= 200, 30_000);
      // A control plane busy for a while: nothing reads the IPC pipe, the broker's stage batches fill
      // it and queue up in the broker; the power cut comes in the middle of that.
      const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      block(2000);
      broker.send({ type: 'powerLoss' });
      block(1500);
      const exit = await broker.exited;
      assert.equal(exit.signal, 'SIGKILL');
      await loadExited;
      const cut = broker.messages.find((m) => m.type === 'powerCut') as Extract<BrokerToParent, { type: 'powerCut' }> | undefined;
      assert.ok(cut, `the power-cut report arrived (${broker.messages.length} messages, the last a ${broker.messages.at(-1)?.type})`);
      assert.equal(broker.messages.at(-1), cut, 'the report is the last message: nothing after the cut');
      // Every record a producer was told is stored reached the control plane as a stage event first.
      const storedIds = new Set(broker.messages.flatMap((m) => (m.type === 'stage' ? m.stored.map(([id]) => id) : [])));
      const missing = acked.filter((id) => !storedIds.has(id));
      assert.ok(acked.length > 1000, `enough traffic to fill the pipe (${acked.length} SEND_OK)`);
      assert.equal(missing.length, 0, `${missing.length} of ${acked.length} SEND_OK messages have no 'stored' stage event`);
    } finally {
      load.kill('SIGKILL');
      fs.rmSync(broker.storeDir, { recursive: true, force: true });
    }
  });
});
