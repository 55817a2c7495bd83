/** The HA wire codec: golden bytes of both frame kinds, split delivery, and garbage refused with HaProtocolError. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HA_HEADER_BYTES,
  HA_REPORT_BYTES,
  HaProtocolError,
  ReportDecoder,
  TransferDecoder,
  HA_HANDSHAKE_WORD,
  encodeReport,
  encodeSlaveHandshake,
  encodeTransferHeader,
} from '../../broker/ha/ha-protocol';

test('ha protocol - a report is the 8-byte big-endian max offset', () => {
  assert.equal(HA_REPORT_BYTES, 8);
  assert.deepEqual([...encodeReport(0x0102030405)], [0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05]);
  assert.throws(() => encodeReport(-1), RangeError);
});

test('ha protocol - a transfer header is [phyOffset:8][bodySize:4], big-endian', () => {
  assert.equal(HA_HEADER_BYTES, 12);
  assert.deepEqual([...encodeTransferHeader(256, 32 * 1024)], [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x80, 0]);
});

test('ha protocol - reports decode across arbitrary splits, keeping the partial word', () => {
  const stream = Buffer.concat([encodeReport(7), encodeReport(1 << 20), encodeReport(2 ** 40)]);
  const decoder = new ReportDecoder();
  const got: number[] = [];
  for (let i = 0; i < stream.length; i += 5) got.push(...decoder.push(stream.subarray(i, Math.min(stream.length, i + 5))));
  assert.deepEqual(got, [7, 1 << 20, 2 ** 40]);
});

test('ha protocol - transfer frames decode across splits, heartbeats included', () => {
  const body = Buffer.from('commit-log bytes');
  const stream = Buffer.concat([encodeTransferHeader(100, body.length), body, encodeTransferHeader(116, 0)]);
  for (const step of [1, 7, 12, 13, stream.length]) {
    const decoder = new TransferDecoder();
    const frames = [];
    for (let i = 0; i < stream.length; i += step) frames.push(...decoder.push(stream.subarray(i, i + step)));
    assert.equal(frames.length, 2, `step ${step}`);
    assert.equal(frames[0]!.phyOffset, 100);
    assert.equal(frames[0]!.body.toString(), 'commit-log bytes');
    assert.equal(frames[1]!.phyOffset, 116);
    assert.equal(frames[1]!.body.length, 0);
  }
});

test('ha protocol - garbage is refused: text as an offset, a negative or oversized body', () => {
  assert.throws(() => new ReportDecoder().push(Buffer.from('GET / HTTP/1.1\r\n')), HaProtocolError);
  assert.throws(() => new TransferDecoder().push(Buffer.from('HTTP/1.1 200 OK\r\n')), HaProtocolError);
  const negative = encodeTransferHeader(0, 0);
  negative.writeInt32BE(-5, 8);
  assert.throws(() => new TransferDecoder().push(negative), /body size -5/);
  const huge = encodeTransferHeader(0, 0);
  huge.writeInt32BE(64 * 1024 * 1024, 8);
  assert.throws(() => new TransferDecoder(4 * 1024 * 1024).push(huge), HaProtocolError);
});

test('ha protocol - the controller-mode handshake is RocketMQ 5\'s 16 bytes, read by the master as two report words', () => {
  const handshake = encodeSlaveHandshake(3);
  // int state = 1 (HANDSHAKE), short isSyncFromLastFile = 0, short isAsyncLearner = 0, long slaveBrokerId = 3
  assert.deepEqual([...handshake], [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
  const words = new ReportDecoder().push(Buffer.concat([handshake, encodeReport(4096)]));
  assert.deepEqual(words, [HA_HANDSHAKE_WORD, 3, 4096]);
  assert.throws(() => encodeSlaveHandshake(0), RangeError, 'brokerIds of controller mode start at 1');
});
