/**
 * Seeded fuzzing of the three stream decoders, in process: FrameDecoder (remoting), ReportDecoder
 * (the master reading slave reports) and TransferDecoder (the slave reading transfers). Every case is
 * fed in random chunks and checked against test/support/fuzz.ts's reference parser:
 *  - the decoder throws nothing but its own documented error (ZerolossError FRAME_MALFORMED /
 *    FRAME_TOO_LARGE; HaProtocolError), and throws on exactly the chunk that brings in the first
 *    wrong field, never later (so an oversized or garbage frame is refused before its body is buffered);
 *  - between pushes it never holds more than one unfinished frame (under 4 + the frame limit);
 *  - valid streams decode to the same commands however they are chunked.
 * A failure names its seed and case: FUZZ_SEED=<seed> replays the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, encodeCommand, type RemotingCommand } from '../../broker/protocol/remoting-command';
import { isZerolossError } from '../../broker/errors/errors';
import { HA_HEADER_BYTES, HaProtocolError, ReportDecoder, TransferDecoder } from '../../broker/ha/ha-protocol';
import {
  Rng,
  randomChunks,
  randomCommand,
  referenceReportVerdict,
  referenceTransferVerdict,
  remotingCase,
  reportStream,
  transferStream,
} from '../support/fuzz';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
/** A small limit so that "over the limit" and "up to the limit" are both reached by random cases. */
const MAX_FRAME = 64 * 1024;
const HA_BODY_MAX = 16 * 1024;

/** Feeds chunks one by one; returns what came out and at which cumulative byte count it threw. */
function feed<T>(chunks: Buffer[], push: (chunk: Buffer) => T[], buffered: () => number, bound: number, label: string) {
  const out: T[] = [];
  let seen = 0;
  for (const chunk of chunks) {
    seen += chunk.length;
    try {
      out.push(...push(chunk));
    } catch (error) {
      assert.equal(buffered(), 0, `${label}: a refused stream holds nothing`);
      return { out, thrownAt: seen, error };
    }
    assert.ok(buffered() <= bound, `${label}: holds ${buffered()} bytes, over ${bound}`);
  }
  return { out, thrownAt: null, error: undefined };
}

/** The chunk boundary at or after `byteCount`: where a decoder fed `chunks` first sees that many bytes. */
function boundaryReaching(chunks: Buffer[], byteCount: number): number {
  let seen = 0;
  for (const chunk of chunks) {
    seen += chunk.length;
    if (seen >= byteCount) return seen;
  }
  return Number.POSITIVE_INFINITY;
}

test(`fuzz FrameDecoder - 4000 seeded hostile streams (seed ${SEED})`, () => {
  const rng = new Rng(SEED);
  const kinds = new Map<string, number>();
  let refused = 0;
  let tooLarge = 0;
  for (let i = 0; i < 4000; i++) {
    const c = remotingCase(rng, MAX_FRAME);
    const label = `seed ${SEED} case ${i} (${c.kind})`;
    kinds.set(c.kind.split(':')[0]!, (kinds.get(c.kind.split(':')[0]!) ?? 0) + 1);
    const chunks = randomChunks(rng, c.bytes);
    const decoder = new FrameDecoder(MAX_FRAME);
    const { out, thrownAt, error } = feed(chunks, (b) => decoder.push(b), () => decoder.bufferedBytes, 4 + MAX_FRAME - 1, label);
    if (c.verdict.refuseAt === null) {
      assert.equal(thrownAt, null, `${label}: refused a stream the reference accepts: ${(error as Error | undefined)?.message}`);
      assert.equal(out.length, c.verdict.commands, `${label}: command count`);
      assert.equal(decoder.bufferedBytes, c.verdict.leftover, `${label}: leftover bytes`);
    } else {
      refused++;
      assert.ok(isZerolossError(error, c.verdict.refusal), `${label}: expected ${c.verdict.refusal}, got ${String(error)}`);
      if (c.verdict.refusal === 'FRAME_TOO_LARGE') tooLarge++;
      assert.equal(thrownAt, boundaryReaching(chunks, c.verdict.refuseAt), `${label}: refused on the chunk that brought byte ${c.verdict.refuseAt}, not later`);
      assert.ok(out.length <= c.verdict.commands, `${label}: no command past the bad frame`);
      // The decoder stays refused: the connection is over.
      assert.throws(() => decoder.push(Buffer.from(encodeCommand(randomCommand(rng)))), (e) => e === error);
    }
    assert.deepEqual(out.map((command) => command.code), c.verdict.codes.slice(0, out.length), `${label}: codes`);
  }
  // The generator reached every kind and both outcomes (a generator that stopped mutating would pass everything).
  for (const kind of ['random', 'huge-length', 'short-of-length', 'valid', 'mutated']) assert.ok((kinds.get(kind) ?? 0) > 50, `kind ${kind}: ${kinds.get(kind)}`);
  assert.ok(refused > 1500 && refused < 3900, `refused ${refused} of 4000`);
  assert.ok(tooLarge > 100, `FRAME_TOO_LARGE ${tooLarge}`);
});

test(`fuzz FrameDecoder - valid streams decode identically however they are chunked (seed ${SEED})`, () => {
  const rng = new Rng(SEED + 1);
  const normalize = (c: RemotingCommand) => ({ ...c, body: c.body?.toString('hex') });
  for (let i = 0; i < 500; i++) {
    const commands = Array.from({ length: rng.range(1, 8) }, () => randomCommand(rng));
    const stream = Buffer.concat(commands.map(encodeCommand));
    const whole = new FrameDecoder().push(stream).map(normalize);
    assert.equal(whole.length, commands.length);
    for (let k = 0; k < 3; k++) {
      const decoder = new FrameDecoder();
      const chunked = randomChunks(rng, stream).flatMap((chunk) => decoder.push(chunk)).map(normalize);
      assert.deepEqual(chunked, whole, `seed ${SEED + 1} stream ${i} split ${k}`);
      assert.equal(decoder.bufferedBytes, 0);
    }
    for (const [j, c] of whole.entries()) {
      assert.equal(c.code, commands[j]!.code);
      assert.equal(c.opaque, commands[j]!.opaque);
      // ROCKETMQ binary writes empty extFields as length 0, which reads back as absent (as Java's decoder),
      // and its strings are UTF-8: a lone surrogate the generator made comes back as U+FFFD
      const sent = commands[j]!.extFields;
      const utf8 = (text: unknown) => Buffer.from(String(text), 'utf8').toString('utf8');
      const binary = commands[j]!.serializeType === 1;
      const expected = !binary ? sent : Object.keys(sent ?? {}).length === 0 ? undefined : Object.fromEntries(Object.entries(sent!).map(([k, v]) => [utf8(k), utf8(v)]));
      assert.deepEqual(c.extFields, expected);
      assert.equal(c.body, commands[j]!.body && commands[j]!.body!.length > 0 ? commands[j]!.body!.toString('hex') : undefined);
    }
  }
});

test('FrameDecoder - every bad field is refused before the bytes after it arrive', () => {
  const valid = encodeCommand({ code: 9999, language: 'JAVA', version: 1, opaque: 1, flag: 0, body: Buffer.alloc(1000, 7) });
  const headerLength = valid.readUInt32BE(4) & 0xffffff;
  const cases: Array<[string, Buffer, number, string]> = [];
  const huge = Buffer.from(valid);
  huge.writeInt32BE(0x7fffffff, 0);
  cases.push(['length 0x7fffffff', huge, 4, 'FRAME_TOO_LARGE']);
  const type = Buffer.from(valid);
  type[4] = 2;
  cases.push(['serialization type 2', type, 8, 'FRAME_MALFORMED']);
  const binary = Buffer.from(valid);
  binary[4] = 1; // a JSON header read as ROCKETMQ binary: its remark length (the bytes '"lan') runs past the header
  cases.push(['JSON header under the ROCKETMQ type', binary, 8 + headerLength, 'FRAME_MALFORMED']);
  const beyond = Buffer.from(valid);
  beyond.writeUInt32BE(valid.length, 4);
  cases.push(['header longer than the frame', beyond, 8, 'FRAME_MALFORMED']);
  const json = Buffer.from(valid);
  json[8] = 0x5b; // '[': the header is no longer an object
  cases.push(['header JSON corrupted', json, 8 + headerLength, 'FRAME_MALFORMED']);
  for (const [what, frame, refuseAt, code] of cases) {
    const decoder = new FrameDecoder();
    assert.deepEqual(decoder.push(frame.subarray(0, refuseAt - 1)), [], `${what}: not yet`);
    assert.throws(() => decoder.push(frame.subarray(refuseAt - 1, refuseAt)), (e) => isZerolossError(e, code as 'FRAME_MALFORMED'), what);
    assert.equal(decoder.bufferedBytes, 0, `${what}: nothing held`);
  }
});

test(`fuzz ReportDecoder - 4000 seeded slave streams (seed ${SEED})`, () => {
  const rng = new Rng(SEED + 2);
  let refused = 0;
  for (let i = 0; i < 4000; i++) {
    const stream = reportStream(rng);
    const verdict = referenceReportVerdict(stream);
    const chunks = randomChunks(rng, stream);
    const decoder = new ReportDecoder();
    const label = `seed ${SEED + 2} case ${i}`;
    const { out, thrownAt, error } = feed(chunks, (b) => decoder.push(b), () => decoder.bufferedBytes, 7, label);
    if (verdict.refuseAt === null) {
      assert.equal(thrownAt, null, `${label}: refused a valid stream: ${String(error)}`);
      assert.equal(out.length, verdict.reports);
      assert.equal(decoder.bufferedBytes, stream.length % 8);
    } else {
      refused++;
      assert.ok(error instanceof HaProtocolError, `${label}: threw ${String(error)}`);
      assert.equal(thrownAt, boundaryReaching(chunks, verdict.refuseAt), `${label}: refused on the chunk bringing the bad word`);
      assert.ok(out.length <= verdict.reports);
    }
    for (const offset of out) assert.ok(Number.isSafeInteger(offset) && offset >= 0, `${label}: ${offset}`);
  }
  assert.ok(refused > 1000 && refused < 3900, `refused ${refused}`);
});

test(`fuzz TransferDecoder - 4000 seeded master streams (seed ${SEED})`, () => {
  const rng = new Rng(SEED + 3);
  let refused = 0;
  let frames = 0;
  for (let i = 0; i < 4000; i++) {
    const stream = transferStream(rng, HA_BODY_MAX);
    const verdict = referenceTransferVerdict(stream, HA_BODY_MAX);
    const chunks = randomChunks(rng, stream);
    const decoder = new TransferDecoder(HA_BODY_MAX);
    const label = `seed ${SEED + 3} case ${i}`;
    const { out, thrownAt, error } = feed(chunks, (b) => decoder.push(b), () => decoder.bufferedBytes, HA_HEADER_BYTES + HA_BODY_MAX - 1, label);
    if (verdict.refuseAt === null) {
      assert.equal(thrownAt, null, `${label}: refused a valid stream: ${String(error)}`);
      assert.equal(out.length, verdict.frames);
      frames += out.length;
    } else {
      refused++;
      assert.ok(error instanceof HaProtocolError, `${label}: threw ${String(error)}`);
      assert.equal(thrownAt, boundaryReaching(chunks, verdict.refuseAt), `${label}: refused on the chunk bringing the bad header`);
      assert.ok(out.length <= verdict.frames);
    }
    for (const frame of out) assert.ok(frame.body.length <= HA_BODY_MAX);
  }
  assert.ok(refused > 500 && refused < 3900, `refused ${refused}`);
  assert.ok(frames > 1000, `frames decoded ${frames}`);
});
