/**
 * Master/slave replication with real broker processes, the HA link through the fault proxy.
 * Drills: SYNC_MASTER then SIGKILL of the master, its store deleted and the slave promoted, loses no
 * SEND_OK message; ASYNC_MASTER under the same drill loses exactly the records past the slave's last
 * acked offset; FLUSH_SLAVE_TIMEOUT when the link is slower than slaveTimeout; SLAVE_NOT_AVAILABLE with
 * no slave; a slave cut off and reconnected ends byte-identical to the master; garbage on either end
 * of the HA link closes only that connection; the old master rejoins as a slave after truncating to
 * the common prefix (and is reported diverged without it); a slave ahead of its master restarted
 * after a power cut is not continued by the master's new records, across restarts, until rebuilt.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Producer, type SendResult } from '../../broker/client/producer';
import { parseOffsetMsgId } from '../../broker/protocol/message-record';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { defaultSettings, type BrokerSettings } from '../../broker/config/broker-config';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { createRequest } from '../../broker/protocol/remoting-command';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { isZerolossError } from '../../broker/errors/errors';
import type { BrokerToParent } from '../../broker/ipc';
import type { HaEventKind, HaStats } from '../../broker/ha/ha-types';
import { FaultProxy } from '../../server/cluster/fault-proxy';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';

const SEGMENT_BYTES = 256 * 1024;
const RECONNECT_MS = 200;

interface Acked {
  result: SendResult;
  body: string;
}

function settingsFor(overrides: Partial<BrokerSettings>): BrokerSettings {
  return { ...defaultSettings(), mappedFileSizeCommitLog: SEGMENT_BYTES, ...overrides };
}

function lastHa(broker: BrokerProcess): HaStats | undefined {
  for (let i = broker.messages.length - 1; i >= 0; i--) {
    const m = broker.messages[i]!;
    if (m.type === 'stats' && m.stats.ha) return m.stats.ha;
  }
  return undefined;
}

function maxPhyOffset(broker: BrokerProcess): number | undefined {
  for (let i = broker.messages.length - 1; i >= 0; i--) {
    const m = broker.messages[i]!;
    if (m.type === 'stats') return m.stats.maxPhyOffset;
  }
  return undefined;
}

function haEvents(broker: BrokerProcess, kind: HaEventKind) {
  return broker.messages.filter((m): m is Extract<BrokerToParent, { type: 'ha' }> => m.type === 'ha' && m.event.kind === kind).map((m) => m.event);
}

async function startPair(masterSettings: Partial<BrokerSettings>, options: { slaveSettings?: Partial<BrokerSettings> } = {}) {
  const master = await startBroker({ settings: settingsFor(masterSettings) });
  assert.ok(master.haPort, 'the master reports its HA port');
  const proxy = new FaultProxy('ha-link', `127.0.0.1:${master.haPort}`);
  await proxy.listen(0);
  const slave = await startBroker({
    settings: settingsFor({ ...masterSettings, ...options.slaveSettings, brokerRole: 'SLAVE' }),
    identity: { brokerId: 1, haMasterAddress: proxy.address },
    ha: { reconnectIntervalMs: RECONNECT_MS },
  });
  await waitFor('the slave connected', () => (lastHa(master)?.slaveConnections ?? 0) > 0 && lastHa(slave)?.connectionState === 'TRANSFER', 10_000);
  return { master, slave, proxy };
}

/** Sync senders until stopped; collects every SEND_OK (and counts the other statuses). */
function load(producer: Producer, concurrency: number) {
  const acked: Acked[] = [];
  const statuses = new Map<string, number>();
  let stopped = false;
  let n = 0;
  const senders = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      const body = `msg-${n++}-`.padEnd(700, 'r');
      try {
        const result = await producer.send({ topic: 'TopicHA', body: Buffer.from(body) });
        statuses.set(result.sendStatus, (statuses.get(result.sendStatus) ?? 0) + 1);
        if (result.sendStatus === 'SEND_OK') acked.push({ result, body });
      } catch {
        return; // the master is gone
      }
    }
  });
  return { acked, statuses, stop: async () => { stopped = true; await Promise.all(senders); } };
}

function commitLogOffsetOf(acked: Acked): number {
  const parsed = parseOffsetMsgId(acked.result.offsetMsgId);
  assert.ok(parsed, `offsetMsgId ${acked.result.offsetMsgId} parses`);
  return parsed.commitLogOffset;
}

function commitLogBytes(storeDir: string): Buffer {
  const dir = path.join(storeDir, 'commitlog');
  return Buffer.concat(fs.readdirSync(dir).sort().map((name) => fs.readFileSync(path.join(dir, name))));
}

async function admin(addr: string, code: number, extFields: Record<string, string> = {}, body?: Buffer) {
  const client = new RemotingClient();
  try {
    return await client.invoke(addr, createRequest(code, extFields, body), 5000);
  } finally {
    client.close();
  }
}

async function promote(slave: BrokerProcess, brokerRole: 'SYNC_MASTER' | 'ASYNC_MASTER' = 'ASYNC_MASTER') {
  const response = await admin(slave.addr, RequestCode.ZL_PROMOTE_SLAVE, { brokerRole });
  assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
  return JSON.parse(response.body!.toString()) as { haPort: number; promotedAtOffset: number };
}

async function openStore(storeDir: string, settings: BrokerSettings) {
  return DefaultMessageStore.open({ storePathRootDir: storeDir, storeHost: { ip: '127.0.0.1', port: 1 }, settings: () => settings });
}

async function cleanup(brokers: (BrokerProcess | undefined)[], proxy?: FaultProxy) {
  for (const b of brokers) if (b) await b.kill();
  await proxy?.close();
  for (const b of brokers) if (b) fs.rmSync(b.storeDir, { recursive: true, force: true });
}

describe('replication with real processes', () => {
  test('replication - SYNC_MASTER: master SIGKILLed, its store deleted, slave promoted: every SEND_OK message is on the slave', async () => {
    const { master, slave, proxy } = await startPair({ brokerRole: 'SYNC_MASTER' });
    let promoted: BrokerProcess | undefined;
    try {
      // The slave refuses sends and refuses to be made a master by a settings change.
      const direct = new Producer({ producerGroup: 'ha-it', producerId: 'slave-send', brokerAddr: slave.addr, retryTimesWhenSendFailed: 0 });
      await assert.rejects(direct.send({ topic: 'TopicHA', body: Buffer.from('x') }), (e: unknown) => isZerolossError(e) && e.responseCode === ResponseCode.SERVICE_NOT_AVAILABLE);
      direct.close();
      const refused = await admin(slave.addr, RequestCode.UPDATE_BROKER_CONFIG, {}, Buffer.from('brokerRole=SYNC_MASTER\n'));
      assert.notEqual(refused.code, ResponseCode.SUCCESS);
      assert.match(refused.remark ?? '', /SLAVE.*only promotion/);

      const producer = new Producer({ producerGroup: 'ha-it', producerId: 'sync-1', brokerAddr: master.addr, retryTimesWhenSendFailed: 0 });
      const traffic = load(producer, 8);
      await waitFor('400 SEND_OK', () => traffic.acked.length >= 400, 30_000);
      await master.kill();
      await traffic.stop();
      producer.close();
      fs.rmSync(master.storeDir, { recursive: true, force: true });

      const { promotedAtOffset } = await promote(slave, 'SYNC_MASTER');
      assert.ok(promotedAtOffset > 0);
      // The promoted slave takes sends (SYNC_MASTER without a slave: stored, SLAVE_NOT_AVAILABLE).
      const after = new Producer({ producerGroup: 'ha-it', producerId: 'after', brokerAddr: slave.addr, retryTimesWhenSendFailed: 0 });
      assert.equal((await after.send({ topic: 'TopicHA', body: Buffer.from('after promotion') })).sendStatus, 'SLAVE_NOT_AVAILABLE');
      after.close();
      promoted = slave;
      await slave.stop();

      const store = await openStore(slave.storeDir, settingsFor({}));
      try {
        for (const a of traffic.acked) {
          const message = store.lookMessageByOffset(commitLogOffsetOf(a));
          assert.ok(message, `SEND_OK message ${a.result.msgId} is on the promoted slave`);
          assert.equal(message.body.toString(), a.body);
        }
        // The slave built its consume queues from the replicated records.
        const indexed = store.consumeQueues().filter((q) => q.topic === 'TopicHA').reduce((n, q) => n + q.maxOffsetInQueue(), 0);
        assert.ok(indexed >= traffic.acked.length + 1, `consume queues index every replicated message (${indexed} >= ${traffic.acked.length + 1})`);
      } finally {
        await store.shutdown();
      }
    } finally {
      await cleanup([master, slave, promoted], proxy);
    }
  });

  test('replication - ASYNC_MASTER: the same drill loses exactly the records past the slave\'s last acked offset', async () => {
    const { master, slave, proxy } = await startPair({ brokerRole: 'ASYNC_MASTER' });
    try {
      // A slow link keeps an unreplicated tail.
      proxy.setFaults('downstream', { latencyMs: 300 });
      const producer = new Producer({ producerGroup: 'ha-it', producerId: 'async-1', brokerAddr: master.addr, retryTimesWhenSendFailed: 0 });
      const traffic = load(producer, 8);
      await waitFor('600 SEND_OK, some of them on the slave', () => traffic.acked.length >= 600 && (lastHa(slave)?.slaveAckOffset ?? 0) > 0, 30_000);
      await master.kill();
      // Bytes still in the delayed link never arrive: the link dies with the master.
      proxy.resetConnections();
      await traffic.stop();
      producer.close();
      fs.rmSync(master.storeDir, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 300)); // a fresh stats message after the last append
      const lastAck = lastHa(slave)?.slaveAckOffset ?? -1;

      const { promotedAtOffset } = await promote(slave);
      // The slave acks whole frames; promotion cuts a partial record off its end, nothing more.
      assert.ok(promotedAtOffset <= lastAck && lastAck - promotedAtOffset < 1024, `promoted at ${promotedAtOffset}, the slave's last ack ${lastAck}`);
      await slave.stop();

      const store = await openStore(slave.storeDir, settingsFor({}));
      try {
        let kept = 0;
        let lost = 0;
        for (const a of traffic.acked) {
          const offset = commitLogOffsetOf(a);
          const message = store.lookMessageByOffset(offset);
          const end = offset + (message?.storeSize ?? 0);
          assert.equal(message !== null, offset < promotedAtOffset, `record at ${offset} is kept exactly when it lies below the acked offset ${promotedAtOffset}`);
          if (message) {
            assert.ok(end <= promotedAtOffset);
            assert.equal(message.body.toString(), a.body);
            kept++;
          } else lost++;
        }
        assert.ok(lost > 0, `an unreplicated tail was lost (${lost} lost, ${kept} kept)`);
        assert.ok(kept > 0, `the replicated prefix was kept (${kept})`);
      } finally {
        await store.shutdown();
      }
    } finally {
      await cleanup([master, slave], proxy);
    }
  });

  test('replication - SLAVE_NOT_AVAILABLE with no slave, FLUSH_SLAVE_TIMEOUT when the link is slower than slaveTimeout', async () => {
    const master = await startBroker({ settings: settingsFor({ brokerRole: 'SYNC_MASTER', slaveTimeout: 300 }) });
    const proxy = new FaultProxy('ha-link', `127.0.0.1:${master.haPort}`);
    await proxy.listen(0);
    let slave: BrokerProcess | undefined;
    const producer = new Producer({ producerGroup: 'ha-it', producerId: 'status-1', brokerAddr: master.addr, retryTimesWhenSendFailed: 0 });
    try {
      const started = Date.now();
      const alone = await producer.send({ topic: 'TopicHA', body: Buffer.from('no slave') });
      assert.equal(alone.sendStatus, 'SLAVE_NOT_AVAILABLE');
      assert.ok(Date.now() - started < 300, 'answered at once, without waiting slaveTimeout');

      slave = await startBroker({
        settings: settingsFor({ brokerRole: 'SLAVE' }),
        identity: { brokerId: 1, haMasterAddress: proxy.address },
        ha: { reconnectIntervalMs: RECONNECT_MS },
      });
      await waitFor('the slave connected', () => (lastHa(master)?.slaveConnections ?? 0) > 0, 10_000);
      assert.equal((await producer.send({ topic: 'TopicHA', body: Buffer.from('with slave') })).sendStatus, 'SEND_OK');
      const info = await admin(master.addr, RequestCode.GET_BROKER_RUNTIME_INFO);
      const table = (JSON.parse(info.body!.toString()) as { table: Record<string, string> }).table;
      assert.equal(table.haConnectionState, 'TRANSFER');
      assert.equal(table.haReplicationLagBytes, '0', 'SEND_OK under SYNC_MASTER: the slave has it');
      await waitFor('a replicated stage event', () => master.messages.some((m) => m.type === 'stage' && (m.replicatedOffset ?? 0) > 0), 2000);

      proxy.setFaults('downstream', { latencyMs: 800 });
      const slow = Date.now();
      const delayed = await producer.send({ topic: 'TopicHA', body: Buffer.from('slow link') });
      assert.equal(delayed.sendStatus, 'FLUSH_SLAVE_TIMEOUT');
      assert.ok(Date.now() - slow >= 290, 'FLUSH_SLAVE_TIMEOUT came after slaveTimeout');

      proxy.clearFaults();
      await new Promise((r) => setTimeout(r, 900)); // let the delayed bytes arrive
      assert.equal((await producer.send({ topic: 'TopicHA', body: Buffer.from('healed') })).sendStatus, 'SEND_OK');

      // The flip to ASYNC_MASTER applies to the next put: no waiting even on a slow link.
      proxy.setFaults('downstream', { latencyMs: 800 });
      const flip = await admin(master.addr, RequestCode.UPDATE_BROKER_CONFIG, {}, Buffer.from('brokerRole=ASYNC_MASTER\n'));
      assert.equal(flip.code, ResponseCode.SUCCESS, flip.remark);
      assert.equal((await producer.send({ topic: 'TopicHA', body: Buffer.from('async now') })).sendStatus, 'SEND_OK');
    } finally {
      producer.close();
      await cleanup([master, slave], proxy);
    }
  });

  test('replication - a slave cut off and reconnected ends byte-identical to the master\'s commit log', async () => {
    const { master, slave, proxy } = await startPair({ brokerRole: 'ASYNC_MASTER' });
    const producer = new Producer({ producerGroup: 'ha-it', producerId: 'cut-1', brokerAddr: master.addr, retryTimesWhenSendFailed: 0 });
    try {
      const traffic = load(producer, 8);
      await waitFor('300 SEND_OK', () => traffic.acked.length >= 300, 30_000);
      proxy.setFaults('both', { blackhole: true });
      await waitFor('900 SEND_OK', () => traffic.acked.length >= 900, 30_000);
      proxy.resetConnections();
      await waitFor('1300 SEND_OK', () => traffic.acked.length >= 1300, 30_000);
      proxy.clearFaults();
      await traffic.stop();
      await waitFor('the slave caught up', () => {
        const m = lastHa(master);
        const s = lastHa(slave);
        return m && s && m.slaveAckOffset > 0 && m.lagBytes === 0 && s.connectionState === 'TRANSFER';
      }, 15_000);
      assert.ok(haEvents(slave, 'master.disconnected').length > 0, 'the slave saw the link go');
      await master.stop();
      await slave.stop();
      const a = commitLogBytes(master.storeDir);
      const b = commitLogBytes(slave.storeDir);
      assert.ok(a.length > 2 * SEGMENT_BYTES, `several segments were written (${a.length} bytes)`);
      assert.equal(b.length, a.length);
      assert.ok(a.equals(b), 'the commit logs are byte-identical');
    } finally {
      producer.close();
      await cleanup([master, slave], proxy);
    }
  });

  test('replication - garbage on the HA link closes only that connection, on either end', async () => {
    const { master, slave, proxy } = await startPair({ brokerRole: 'SYNC_MASTER' });
    // It never reads, so a slave's close never reaches it: its connections are destroyed at the end, or
    // one outlived the test into the process's exit (see docs/testing.md, the exit spin of session 18).
    const accepted = new Set<net.Socket>();
    const fake = net.createServer((socket) => {
      accepted.add(socket);
      socket.on('error', () => undefined);
      socket.write(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n'));
    });
    let lonely: BrokerProcess | undefined;
    const producer = new Producer({ producerGroup: 'ha-it', producerId: 'garbage-1', brokerAddr: master.addr, retryTimesWhenSendFailed: 0 });
    try {
      const closed = await new Promise<boolean>((resolve) => {
        const socket = net.connect(master.haPort!, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
        socket.on('close', () => resolve(true));
        socket.on('error', () => undefined);
        setTimeout(() => resolve(false), 5000);
      });
      assert.ok(closed, 'the master closed the garbage connection');
      await waitFor('the master reported the bad frame', () => haEvents(master, 'badFrame').length > 0, 5000);
      assert.equal((await producer.send({ topic: 'TopicHA', body: Buffer.from('still replicating') })).sendStatus, 'SEND_OK');
      assert.equal(master.child.exitCode, null);

      await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
      lonely = await startBroker({
        settings: settingsFor({ brokerRole: 'SLAVE' }),
        identity: { brokerId: 2, haMasterAddress: `127.0.0.1:${(fake.address() as net.AddressInfo).port}` },
        ha: { reconnectIntervalMs: RECONNECT_MS },
      });
      await waitFor('the slave reported the bad frame', () => haEvents(lonely!, 'badFrame').length > 0, 5000);
      assert.equal(lonely.child.exitCode, null, 'the slave did not crash');
    } finally {
      producer.close();
      fake.close();
      for (const socket of accepted) socket.destroy();
      await cleanup([master, slave, lonely], proxy);
    }
  });

  test('replication - the old master rejoins as a slave after truncating to the common prefix, and is reported diverged without it', async () => {
    const { master, slave, proxy } = await startPair({ brokerRole: 'ASYNC_MASTER' });
    let rejoined: BrokerProcess | undefined;
    let diverged: BrokerProcess | undefined;
    const settings = settingsFor({ brokerRole: 'SLAVE' });
    try {
      proxy.setFaults('downstream', { latencyMs: 300 });
      const producer = new Producer({ producerGroup: 'ha-it', producerId: 'rejoin-1', brokerAddr: master.addr, retryTimesWhenSendFailed: 0 });
      const before = load(producer, 8);
      await waitFor('500 SEND_OK, some of them on the slave', () => before.acked.length >= 500 && (lastHa(slave)?.slaveAckOffset ?? 0) > 0, 30_000);
      await master.kill();
      proxy.resetConnections();
      await before.stop();
      producer.close();
      const { promotedAtOffset, haPort } = await promote(slave);
      assert.ok(promotedAtOffset > 0, 'a common prefix exists');
      proxy.clearFaults();
      proxy.setTarget(`127.0.0.1:${haPort}`);

      const onNew = new Producer({ producerGroup: 'ha-it', producerId: 'rejoin-2', brokerAddr: slave.addr, retryTimesWhenSendFailed: 0 });
      for (let i = 0; i < 20; i++) assert.equal((await onNew.send({ topic: 'TopicHA', body: Buffer.from(`new-${i}`) })).sendStatus, 'SEND_OK');
      onNew.close();
      const oldEnd = commitLogBytes(master.storeDir).length;
      const newEnd = commitLogBytes(slave.storeDir).length;
      assert.ok(oldEnd > newEnd, `the old master's unreplicated tail outruns the new master's few new records (${oldEnd} > ${newEnd})`);

      // Without truncation the old master's tail is not a prefix of the new master's log.
      diverged = await startBroker({ storeDir: master.storeDir, settings, identity: { haMasterAddress: proxy.address }, ha: { reconnectIntervalMs: RECONNECT_MS } });
      await waitFor('divergence reported', () => haEvents(diverged!, 'diverged').length > 0 && lastHa(diverged!)?.divergence, 10_000);
      await diverged.stop();

      rejoined = await startBroker({
        storeDir: master.storeDir,
        settings,
        identity: { haMasterAddress: proxy.address },
        ha: { reconnectIntervalMs: RECONNECT_MS, truncateCommitLogTo: promotedAtOffset },
      });
      await waitFor('the old master caught up', () => {
        const m = lastHa(slave);
        const s = lastHa(rejoined!);
        return m && s && m.lagBytes === 0 && m.slaveAckOffset > promotedAtOffset && s.connectionState === 'TRANSFER' && !s.divergence;
      }, 15_000);
      await slave.stop();
      await rejoined.stop();
      const a = commitLogBytes(slave.storeDir);
      const b = commitLogBytes(master.storeDir);
      assert.ok(a.equals(b), `the rejoined old master holds exactly the new master's log (${b.length} vs ${a.length} bytes)`);
    } finally {
      await cleanup([master, slave, diverged, rejoined], proxy);
    }
  });

  // Found by the simulator (docs/simulation.md#what-it-found): the master's power cut loses a tail the
  // slave holds; the slave, away meanwhile, comes back once the master has written past its end. With
  // one message size the slave's end is a record boundary in the master's new log, so before the
  // master checked what it vouches for, it shipped from there and the slave appended new records
  // behind ones the master had lost: a log that is neither's, reported by nobody.
  test('replication - a slave ahead of its master restarted after a power cut is not continued by the master\'s new records, across restarts of both, until it is rebuilt', async () => {
    // One segment holds it all: a segment's end (BLANK padding) would break the one-size rhythm.
    const oneSegment = { mappedFileSizeCommitLog: 4 * 1024 * 1024 };
    const { master, slave, proxy } = await startPair({ brokerRole: 'ASYNC_MASTER', ...oneSegment });
    const masterSettings = settingsFor({ brokerRole: 'ASYNC_MASTER', ...oneSegment });
    const slaveSettings = settingsFor({ brokerRole: 'SLAVE', ...oneSegment });
    const started: (BrokerProcess | undefined)[] = [];
    const start = async (options: Parameters<typeof startBroker>[0]) => {
      const b = await startBroker(options);
      started.push(b);
      return b;
    };
    try {
      // One producer throughout, its sequence numbers past 9 on every queue before the cut and below
      // 100 after it: every record around the cut has the same size.
      const producer = new Producer({ producerGroup: 'ha-it', producerId: 'cut-1', brokerAddr: master.addr, retryTimesWhenSendFailed: 0 });
      const before = load(producer, 4);
      await waitFor('200 SEND_OK', () => before.acked.length >= 200, 30_000);
      await before.stop();
      const lastAcked = Math.max(...before.acked.map(commitLogOffsetOf));
      const end = await waitFor('the slave holds everything', () => {
        const m = maxPhyOffset(master);
        return m !== undefined && m > lastAcked && maxPhyOffset(slave) === m ? m : undefined;
      }, 10_000);
      const recordSize = end - lastAcked;
      assert.ok(recordSize > 700, `one record is ${recordSize} bytes`);
      await slave.stop();
      await master.kill();

      // The power cut: the master comes back without its last 40 records, which the slave holds.
      const cutAt = end - 40 * recordSize;
      const port = Number(master.addr.split(':')[1]);
      const restarted = await start({ storeDir: master.storeDir, port, settings: masterSettings, ha: { truncateCommitLogTo: cutAt } });
      assert.equal(maxPhyOffset(restarted) ?? cutAt, cutAt);
      proxy.setTarget(`127.0.0.1:${restarted.haPort}`);
      const after = load(producer, 4);
      await waitFor('the restarted master writes past the slave\'s end', () => after.acked.some((a) => commitLogOffsetOf(a) > end + 10 * recordSize), 30_000);
      await after.stop();
      producer.close();
      assert.ok(after.acked.some((a) => commitLogOffsetOf(a) === end), `the slave's end ${end} is a record boundary in the master's new log (one message size): the case the offset checks alone let through`);

      const back = await start({ storeDir: slave.storeDir, settings: slaveSettings, identity: { brokerId: 1, haMasterAddress: proxy.address }, ha: { reconnectIntervalMs: RECONNECT_MS } });
      await waitFor('the divergence reported by both ends', () => haEvents(back, 'diverged').length > 0 && haEvents(restarted, 'diverged').length > 0, 10_000);
      assert.match(haEvents(back, 'diverged')[0]!.message, new RegExp(`only up to ${cutAt} \\(the slave ends at ${end}\\).*stops replicating until it is rebuilt`));
      await new Promise((r) => setTimeout(r, 8 * RECONNECT_MS));
      assert.equal(lastHa(back)?.connectionState, 'DIVERGED');
      assert.equal(lastHa(back)?.divergence?.masterOffset, cutAt, 'the slave knows how far the master vouches for its log');
      assert.equal(maxPhyOffset(back), end, 'the slave appended nothing of the master\'s new log');
      assert.equal(haEvents(restarted, 'diverged').length, 1, 'the slave did not connect again');
      assert.equal(lastHa(restarted)?.slaveConnections, 0);

      // Both restart: the master has forgotten what it shipped, the slave has not forgotten its divergence.
      await back.stop();
      await restarted.stop();
      const again = await start({ storeDir: master.storeDir, settings: masterSettings });
      proxy.setTarget(`127.0.0.1:${again.haPort}`);
      const stillDiverged = await start({ storeDir: slave.storeDir, settings: slaveSettings, identity: { brokerId: 1, haMasterAddress: proxy.address }, ha: { reconnectIntervalMs: RECONNECT_MS } });
      await waitFor('the recorded divergence reported', () => haEvents(stillDiverged, 'diverged').length > 0 && lastHa(stillDiverged)?.connectionState === 'DIVERGED', 10_000);
      await new Promise((r) => setTimeout(r, 8 * RECONNECT_MS));
      assert.match(haEvents(stillDiverged, 'diverged')[0]!.message, /before this start/);
      assert.equal(maxPhyOffset(stillDiverged), end);
      assert.equal(lastHa(again)?.slaveConnections ?? 0, 0, 'a diverged slave does not connect');
      await stillDiverged.stop();

      // Rebuilt to the common prefix it was told, it catches up and holds exactly the master's log.
      const rebuilt = await start({ storeDir: slave.storeDir, settings: slaveSettings, identity: { brokerId: 1, haMasterAddress: proxy.address }, ha: { reconnectIntervalMs: RECONNECT_MS, truncateCommitLogTo: cutAt } });
      await waitFor('the rebuilt slave caught up', () => maxPhyOffset(rebuilt) === maxPhyOffset(again) && lastHa(rebuilt)?.connectionState === 'TRANSFER' && !lastHa(rebuilt)?.divergence, 15_000);
      await rebuilt.stop();
      await again.stop();
      const a = commitLogBytes(master.storeDir);
      const b = commitLogBytes(slave.storeDir);
      assert.ok(a.equals(b), 'the rebuilt slave holds exactly the master\'s log');
    } finally {
      await cleanup([master, slave, ...started], proxy);
    }
  });
});
