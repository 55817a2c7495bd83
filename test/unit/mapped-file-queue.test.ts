/**
 * MappedFileQueue on real files: roll-over writes an 8-byte BLANK record that pads the finished
 * segment to exactly its capacity and never splits a record; segments grow as written; flushes
 * move the durable watermark in file order; truncation deletes later segments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BLANK_MAGIC_CODE } from '../../broker/protocol/codes';
import { FileLayer } from '../../broker/io/file-layer';
import { MappedFileQueue } from '../../broker/store/mapped-file-queue';
import { offset2FileName } from '../../broker/store/mapped-file';
import { tempDir } from '../support/store-fixtures';

const CAPACITY = 4096;

function record(length: number, fill: number): Buffer {
  return Buffer.alloc(length, fill);
}

test('mapped-file-queue - rolls with a BLANK record and never splits a record', (t) => {
  const dir = tempDir(t);
  const layer = new FileLayer();
  const queue = new MappedFileQueue(layer, dir, CAPACITY);
  queue.load();
  const results = [];
  for (let i = 0; i < 5; i++) results.push(queue.appendRecord(1000, () => record(1000, i + 1)));
  // 4 records = 4000 bytes; the 5th needs 1000 + 8 > 96 remaining: BLANK [96][magic], then a new segment.
  assert.deepEqual(results.map((r) => r.wroteOffset), [0, 1000, 2000, 3000, 4096]);
  assert.deepEqual(results.map((r) => r.rolled), [false, false, false, false, true]);
  const first = path.join(dir, offset2FileName(0));
  const second = path.join(dir, offset2FileName(4096));
  assert.equal(fs.statSync(first).size, CAPACITY, 'a finished segment is exactly its capacity');
  assert.equal(fs.statSync(second).size, 1000, 'a live segment grows as written, no preallocation');
  const bytes = fs.readFileSync(first);
  assert.equal(bytes.readInt32BE(4000), 96);
  assert.equal(bytes.readInt32BE(4004), BLANK_MAGIC_CODE);
  assert.deepEqual(queue.read(4096, 1000), record(1000, 5));
  assert.equal(queue.maxOffset(), 5096);
});

test('mapped-file-queue - random record sizes: every record whole inside one segment', (t) => {
  const dir = tempDir(t);
  const queue = new MappedFileQueue(new FileLayer(), dir, CAPACITY);
  queue.load();
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const written: { offset: number; bytes: Buffer }[] = [];
  for (let i = 0; i < 300; i++) {
    const bytes = record(1 + Math.floor(random() * (CAPACITY - 8)), i % 251);
    const result = queue.appendRecord(bytes.length, () => bytes);
    assert.equal(Math.floor(result.wroteOffset / CAPACITY), Math.floor((result.wroteOffset + bytes.length - 1) / CAPACITY), `record ${i} split`);
    assert.ok(CAPACITY - ((result.wroteOffset + bytes.length) % CAPACITY) >= 8 || (result.wroteOffset + bytes.length) % CAPACITY === 0);
    written.push({ offset: result.wroteOffset, bytes });
  }
  for (const { offset, bytes } of written) assert.deepEqual(queue.read(offset, bytes.length), bytes);
  const segments = queue.segments();
  for (const segment of segments.slice(0, -1)) assert.equal(fs.statSync(segment.fileName).size, CAPACITY);
  assert.throws(() => queue.appendRecord(CAPACITY - 7, () => record(CAPACITY - 7, 0)), /can never fit/);
});

test('mapped-file-queue - flush moves the durable watermark in file order', async (t) => {
  const dir = tempDir(t);
  const layer = new FileLayer();
  const queue = new MappedFileQueue(layer, dir, CAPACITY);
  queue.load();
  queue.appendRecord(3000, () => record(3000, 1));
  assert.equal(await queue.flush(1), 0, 'leastPages 1: not even one whole 4 KiB page is dirty');
  queue.appendRecord(3000, () => record(3000, 2)); // rolls: segment 0 full
  assert.equal(queue.unflushedBytes(), 4096 + 3000);
  assert.equal(await queue.flush(4), 4096, 'a full segment is always flushed; the live one waits for 4 pages');
  assert.equal(await queue.flush(0), 4096 + 3000);
  assert.equal(queue.unflushedBytes(), 0);
  for (const [, sizes] of layer.durableSizes()) assert.equal(sizes.durable, sizes.size);
});

test('mapped-file-queue - bytes no fdatasync covers: an fdatasync in flight covers what was written before it, not after', async (t) => {
  const dir = tempDir(t);
  const queue = new MappedFileQueue(new FileLayer(), dir, CAPACITY);
  queue.load();
  queue.appendRecord(1000, () => record(1000, 1));
  queue.appendRecord(500, () => record(500, 2), true);
  assert.equal(queue.pageCacheUncoveredBytes(), 1000, 'a deferred append is not in the page cache yet');
  const flushing = queue.flush(0);
  // The flush starts a few microtasks later (calls are chained); its fdatasync can return only in a
  // later turn of the event loop, never between microtasks.
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(queue.pageCacheUncoveredBytes(), 0, 'the fdatasync in flight covers both (the deferred bytes were written first)');
  assert.equal(queue.unflushedBytes(), 1500, 'yet none is confirmed durable before it returns');
  queue.appendRecord(700, () => record(700, 3));
  assert.equal(queue.pageCacheUncoveredBytes(), 700, 'written after the fdatasync began: no fdatasync covers it');
  assert.equal(await flushing, 1500);
  assert.equal(queue.pageCacheUncoveredBytes(), 700);
  await queue.flush(0);
  assert.equal(queue.pageCacheUncoveredBytes(), 0);
});

test('mapped-file-queue - reload and truncateDirtyFiles', (t) => {
  const dir = tempDir(t);
  const first = new MappedFileQueue(new FileLayer(), dir, CAPACITY);
  first.load();
  for (let i = 0; i < 10; i++) first.appendRecord(1000, () => record(1000, i));
  const max = first.maxOffset();
  first.close();

  const queue = new MappedFileQueue(new FileLayer(), dir, CAPACITY);
  queue.load();
  assert.equal(queue.maxOffset(), max);
  assert.equal(queue.segments().length, 3);
  queue.truncateDirtyFiles(4096 + 1000);
  assert.equal(queue.maxOffset(), 5096);
  assert.deepEqual(fs.readdirSync(dir).sort(), [offset2FileName(0), offset2FileName(4096)]);
  assert.equal(fs.statSync(path.join(dir, offset2FileName(4096))).size, 1000);
  queue.truncateDirtyFiles(4096);
  assert.deepEqual(fs.readdirSync(dir), [offset2FileName(0)], 'an empty segment after a full one is deleted');
  assert.equal(queue.maxOffset(), 4096);
  assert.equal(queue.appendRecord(10, () => record(10, 9)).wroteOffset, 4096);
});
