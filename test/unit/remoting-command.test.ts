import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, createRequest, createResponse, decodeFrameContent, encodeCommand, extBoolean, extNumber, extString } from '../../broker/protocol/remoting-command';
import { RequestCode, ResponseCode } from '../../broker/protocol/codes';
import { isZerolossError } from '../../broker/errors/errors';

test('frame codec - a request round-trips with header fields and body', () => {
  const request = createRequest(RequestCode.SEND_MESSAGE_V2, { b: 'TopicTest', e: 3 }, Buffer.from('hello'));
  const frame = encodeCommand(request);
  assert.equal(frame.readInt32BE(0), frame.length - 4, 'length prefix counts everything after itself');
  assert.equal(frame.readUInt8(4), 0, 'serialization type byte is JSON (0)');
  const headerLength = frame.readUInt32BE(4) & 0xffffff;
  assert.deepEqual(JSON.parse(frame.toString('utf8', 8, 8 + headerLength)).extFields, { b: 'TopicTest', e: '3' });
  const [decoded] = new FrameDecoder().push(frame);
  assert.equal(decoded.code, RequestCode.SEND_MESSAGE_V2);
  assert.equal(decoded.opaque, request.opaque);
  assert.equal(extString(decoded, 'b'), 'TopicTest');
  assert.equal(extNumber(decoded, 'e'), 3);
  assert.equal(decoded.body?.toString(), 'hello');
});

test('frame codec - a response echoes the opaque and sets the response flag', () => {
  const request = createRequest(RequestCode.HEART_BEAT);
  const response = createResponse(request, ResponseCode.SUCCESS, { extFields: { msgId: 'AB' } });
  const [decoded] = new FrameDecoder().push(encodeCommand(response));
  assert.equal(decoded.opaque, request.opaque);
  assert.equal(decoded.flag & 1, 1);
});

test('frame codec - ali-ons style raw JSON numbers and booleans in extFields are read', () => {
  const header = Buffer.from(JSON.stringify({ code: 310, language: 'JAVA', version: 121, opaque: 7, flag: 0, extFields: { e: 2, k: false } }));
  const content = Buffer.alloc(4 + header.length);
  content.writeUInt32BE(header.length, 0);
  header.copy(content, 4);
  const decoded = decodeFrameContent(content);
  assert.equal(extNumber(decoded, 'e'), 2);
  assert.equal(extBoolean(decoded, 'k'), false);
});

test('frame codec - frames split at every byte boundary and coalesced frames decode', () => {
  const frames = [1, 2, 3].map((i) => encodeCommand(createRequest(RequestCode.PULL_MESSAGE, { i }, Buffer.alloc(i * 10, i))));
  const all = Buffer.concat(frames);
  for (let cut = 1; cut < all.length; cut += 7) {
    const decoder = new FrameDecoder();
    const got = [...decoder.push(all.subarray(0, cut)), ...decoder.push(all.subarray(cut))];
    assert.deepEqual(got.map((c) => extNumber(c, 'i')), [1, 2, 3], `cut at ${cut}`);
  }
});

test('frame codec - an impossible length is refused before buffering', () => {
  const huge = Buffer.alloc(8);
  huge.writeInt32BE(0x7fffffff, 0);
  assert.throws(() => new FrameDecoder(1024).push(huge), (e) => isZerolossError(e, 'FRAME_TOO_LARGE'));
  const negative = Buffer.alloc(8);
  negative.writeInt32BE(-5, 0);
  assert.throws(() => new FrameDecoder().push(negative), (e) => isZerolossError(e, 'FRAME_MALFORMED'));
});

test('frame codec - a header that is not JSON, or lacks code/opaque, is malformed', () => {
  const bad = (header: string) => {
    const h = Buffer.from(header);
    const content = Buffer.alloc(4 + h.length);
    content.writeUInt32BE(h.length, 0);
    h.copy(content, 4);
    return content;
  };
  assert.throws(() => decodeFrameContent(bad('{not json')), (e) => isZerolossError(e, 'FRAME_MALFORMED'));
  assert.throws(() => decodeFrameContent(bad('[1,2]')), (e) => isZerolossError(e, 'FRAME_MALFORMED'));
  assert.throws(() => decodeFrameContent(bad('{"code":"x","opaque":1}')), /code is not an integer/);
  const tooLong = Buffer.alloc(8);
  tooLong.writeUInt32BE(100, 0);
  assert.throws(() => decodeFrameContent(tooLong), /exceeds the frame/);
  const binary = Buffer.alloc(8);
  binary.writeUInt32BE((1 << 24) | 0, 0);
  assert.throws(() => decodeFrameContent(binary), /serialization type 1/);
});
