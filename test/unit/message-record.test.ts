/**
 * The V1 commit-log record codec: field placement as docs/rocketmq-semantics.md#record-layout draws it, round trips,
 * validation statuses for every kind of damage, properties, offsetMsgId and Java's String.hashCode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE } from '../../broker/protocol/codes';
import { prng } from '../../broker/io/prng';
import {
  RECORD_FIXED_OVERHEAD,
  RecordCheckStatus,
  bodyCrc,
  calMsgLength,
  checkMessageRecord,
  createOffsetMsgId,
  decodeMessageRecord,
  readLong,
  decodeMessageRecords,
  encodeBlankRecord,
  encodeMessageRecord,
  javaStringHashCode,
  messageProperties2String,
  parseOffsetMsgId,
  string2MessageProperties,
} from '../../broker/protocol/message-record';
import { BORN_HOST, STORE_HOST, message } from '../support/store-fixtures';

const placement = { queueOffset: 7, physicalOffset: 123_456_789_012, storeTimestamp: 1_700_000_000_123, storeHost: STORE_HOST };
const check = { checkCrc: true, maxRecordSize: 1 << 20 };

function sample() {
  return message({
    topic: 'TopicTest',
    queueId: 3,
    flag: 42,
    sysFlag: 0x8,
    reconsumeTimes: 2,
    preparedTransactionOffset: 99,
    body: Buffer.from('hello'),
    tags: 'TagA',
    uniqKey: 'ABC',
  });
}

test('message-record - fields sit at the offsets RocketMQ documents', () => {
  const record = encodeMessageRecord(sample(), placement);
  const props = Buffer.byteLength('TAGS\u0001TagA\u0002UNIQ_KEY\u0001ABC\u0002');
  assert.equal(RECORD_FIXED_OVERHEAD, 91);
  assert.equal(record.length, 91 + 5 + 'TopicTest'.length + props);
  assert.equal(record.length, calMsgLength(5, 9, props));
  assert.equal(record.readInt32BE(0), record.length);
  assert.equal(record.readInt32BE(4), MESSAGE_MAGIC_CODE);
  assert.equal(record.readInt32BE(4), -626843481);
  assert.equal(record.readInt32BE(8), 0x3610a686 & 0x7fffffff); // crc32("hello")
  assert.equal(record.readInt32BE(12), 3);
  assert.equal(record.readInt32BE(16), 42);
  assert.equal(record.readBigInt64BE(20), 7n);
  assert.equal(record.readBigInt64BE(28), 123_456_789_012n);
  assert.equal(record.readInt32BE(36), 0x8);
  assert.equal(record.readBigInt64BE(40), 1_700_000_000_000n);
  assert.deepEqual([...record.subarray(48, 52)], [10, 1, 2, 3]);
  assert.equal(record.readInt32BE(52), BORN_HOST.port);
  assert.equal(record.readBigInt64BE(56), 1_700_000_000_123n);
  assert.deepEqual([...record.subarray(64, 68)], [127, 0, 0, 1]);
  assert.equal(record.readInt32BE(68), 10911);
  assert.equal(record.readInt32BE(72), 2);
  assert.equal(record.readBigInt64BE(76), 99n);
  assert.equal(record.readInt32BE(84), 5);
  assert.equal(record.toString('utf8', 88, 93), 'hello');
  assert.equal(record.readUInt8(93), 9);
  assert.equal(record.toString('utf8', 94, 103), 'TopicTest');
  assert.equal(record.readInt16BE(103), props);
});

test('message-record - decode returns what was encoded', () => {
  const input = sample();
  const record = encodeMessageRecord(input, placement);
  const decoded = decodeMessageRecord(record);
  assert.equal(decoded.topic, input.topic);
  assert.equal(decoded.queueId, 3);
  assert.equal(decoded.flag, 42);
  assert.equal(decoded.sysFlag, 0x8);
  assert.equal(decoded.queueOffset, 7);
  assert.equal(decoded.commitLogOffset, placement.physicalOffset);
  assert.equal(decoded.storeTimestamp, placement.storeTimestamp);
  assert.deepEqual(decoded.bornHost, BORN_HOST);
  assert.deepEqual(decoded.storeHost, STORE_HOST);
  assert.equal(decoded.reconsumeTimes, 2);
  assert.equal(decoded.preparedTransactionOffset, 99);
  assert.deepEqual(decoded.body, Buffer.from('hello'));
  assert.deepEqual([...decoded.properties], [['TAGS', 'TagA'], ['UNIQ_KEY', 'ABC']]);
  assert.equal(decoded.storeSize, record.length);
  assert.equal(decoded.bodyCRC, bodyCrc(Buffer.from('hello')));
  assert.equal(decoded.msgId, createOffsetMsgId(STORE_HOST, placement.physicalOffset));
});

test('message-record - validation names each kind of damage', () => {
  const record = encodeMessageRecord(sample(), placement);
  assert.equal(checkMessageRecord(record, 0, check).status, RecordCheckStatus.OK);
  assert.equal(checkMessageRecord(record, 0, { ...check, expectedPhysicalOffset: placement.physicalOffset }).status, RecordCheckStatus.OK);
  assert.equal(checkMessageRecord(record, 0, { ...check, expectedPhysicalOffset: 0 }).status, RecordCheckStatus.BAD_OFFSET);
  assert.equal(checkMessageRecord(record.subarray(0, record.length - 1), 0, check).status, RecordCheckStatus.INCOMPLETE);
  assert.equal(checkMessageRecord(record.subarray(0, 5), 0, check).status, RecordCheckStatus.INCOMPLETE);

  const flipped = (at: number, mask = 0x40) => {
    const copy = Buffer.from(record);
    copy[at] = copy[at]! ^ mask;
    return checkMessageRecord(copy, 0, check).status;
  };
  assert.equal(flipped(90), RecordCheckStatus.BAD_CRC); // body byte
  assert.equal(flipped(8), RecordCheckStatus.BAD_CRC); // stored CRC
  assert.equal(flipped(5), RecordCheckStatus.BAD_MAGIC);
  const shrunk = Buffer.from(record);
  shrunk.writeInt32BE(record.length - 4, 0);
  assert.equal(checkMessageRecord(shrunk, 0, check).status, RecordCheckStatus.BAD_LENGTH); // TOTALSIZE no longer adds up
  assert.equal(flipped(3, 0x40), RecordCheckStatus.INCOMPLETE); // TOTALSIZE past the bytes there
  assert.equal(flipped(87), RecordCheckStatus.BAD_LENGTH); // body length
  assert.equal(flipped(93), RecordCheckStatus.BAD_LENGTH); // topic length
  assert.equal(flipped(0), RecordCheckStatus.BAD_SIZE); // TOTALSIZE huge
  assert.equal(checkMessageRecord(record, 0, { ...check, checkCrc: false }).status, RecordCheckStatus.OK);

  const blank = encodeBlankRecord(96);
  assert.equal(blank.readInt32BE(4), BLANK_MAGIC_CODE);
  assert.deepEqual(checkMessageRecord(blank, 0, check), { status: RecordCheckStatus.BLANK, size: 96 });
});

test('message-record - a concatenation of records decodes in order and stops at a torn tail', () => {
  const records = [0, 1, 2].map((i) =>
    encodeMessageRecord(message({ body: Buffer.from(`body-${i}`), queueId: i }), { ...placement, queueOffset: i, physicalOffset: i * 1000 }),
  );
  const all = Buffer.concat(records);
  const whole = decodeMessageRecords(all);
  assert.equal(whole.status, RecordCheckStatus.OK);
  assert.deepEqual(whole.messages.map((m) => m.body.toString()), ['body-0', 'body-1', 'body-2']);
  const torn = decodeMessageRecords(all.subarray(0, all.length - 3));
  assert.equal(torn.messages.length, 2);
  assert.equal(torn.status, RecordCheckStatus.INCOMPLETE);
  assert.equal(torn.consumedBytes, records[0]!.length + records[1]!.length);
});

test('message-record - properties string round trip', () => {
  const props = new Map([['KEYS', 'a b'], ['TAGS', 'T'], ['ZL_SEQ', '17']]);
  const text = messageProperties2String(props);
  assert.equal(text, 'KEYS\u0001a b\u0002TAGS\u0001T\u0002ZL_SEQ\u000117\u0002');
  assert.deepEqual(string2MessageProperties(text), props);
  assert.deepEqual(string2MessageProperties('A\u00011\u0002B\u00012'), new Map([['A', '1'], ['B', '2']]));
  assert.deepEqual(string2MessageProperties(''), new Map());
});

test('message-record - offsetMsgId is store IP, port and offset in uppercase hex', () => {
  const id = createOffsetMsgId({ ip: '127.0.0.1', port: 10911 }, 1234);
  assert.equal(id, '7F00000100002A9F00000000000004D2');
  assert.deepEqual(parseOffsetMsgId(id), { storeHost: { ip: '127.0.0.1', port: 10911 }, commitLogOffset: 1234 });
  assert.deepEqual(parseOffsetMsgId(id.toLowerCase()), parseOffsetMsgId(id));
  assert.equal(parseOffsetMsgId('not-an-id'), null);
});

test('message-record - tag hash codes are Java String.hashCode', () => {
  assert.equal(javaStringHashCode(''), 0);
  assert.equal(javaStringHashCode('a'), 97);
  assert.equal(javaStringHashCode('hello world'), 1794106052);
  assert.equal(javaStringHashCode('TagA'), 2598919);
});

test('readLong reads a Java long as Number(readBigInt64BE) does, past 2^53 and negative included', () => {
  const buffer = Buffer.alloc(8);
  const next = prng(20261204);
  const values = [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 53n + 3n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
  for (let i = 0; i < 10_000; i++) values.push(BigInt.asIntN(64, (BigInt(Math.floor(next() * 2 ** 32)) << 32n) | BigInt(Math.floor(next() * 2 ** 32))));
  for (const value of values) {
    buffer.writeBigInt64BE(value);
    assert.equal(readLong(buffer, 0), Number(buffer.readBigInt64BE(0)), `long ${value}`);
  }
});
