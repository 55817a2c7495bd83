/**
 * The power-cut model of FileLayer on real files: a file opened by this process is durable only up
 * to what this process's fdatasyncs covered; the cut takes back unsynced appends and unsynced
 * in-place overwrites (the checkpoint's way of writing), including writes made while an fdatasync
 * was in flight; a failed write leaves no partial bytes and no hole; the report gives each file's
 * durable length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isZerolossError } from '../../broker/errors/errors';
import { FileLayer } from '../../broker/io/file-layer';
import { StoreCheckpoint } from '../../broker/store/store-checkpoint';
import { tempDir } from '../support/store-fixtures';

function bytes(length: number, fill: number): Buffer {
  return Buffer.alloc(length, fill);
}

test('file-layer - a file opened by this process is durable only up to its own fdatasync', (t) => {
  const file = path.join(tempDir(t), 'segment');
  fs.writeFileSync(file, bytes(1000, 7)); // left in the page cache by an earlier, SIGKILLed process
  const layer = new FileLayer();
  const opened = layer.open(file, { create: false });
  assert.equal(opened.size(), 1000);
  assert.equal(opened.durableSize(), 0, 'nothing this process did made those bytes durable');
  const report = layer.revertAllToDurableSync();
  assert.deepEqual(report, [{ path: file, durable: 0, lostBytes: 1000, revertedBytes: 0 }]);
  assert.equal(fs.statSync(file).size, 0);

  fs.writeFileSync(file, bytes(1000, 7));
  const second = new FileLayer();
  const kept = second.open(file, { create: false });
  kept.datasyncSync(); // what recovery does with what it keeps
  assert.equal(kept.durableSize(), 1000);
  assert.deepEqual(second.revertAllToDurableSync(), [], 'a file the cut leaves alone is not in the report');
  assert.deepEqual(second.durableSizes().get(file), { size: 1000, durable: 1000 });
  assert.equal(fs.statSync(file).size, 1000);
});

test('file-layer - the cut reverts an unsynced overwrite in place, and keeps a synced one', (t) => {
  const file = path.join(tempDir(t), 'checkpoint');
  const layer = new FileLayer();
  const handle = layer.open(file, { create: true });
  handle.writeAt(bytes(4096, 1), 0);
  handle.datasyncSync();
  handle.writeAt(bytes(100, 2), 50); // overwrite in place, not synced
  handle.writeAt(bytes(100, 3), 100); // overlaps the first overwrite: the durable bytes are kept once
  handle.writeAt(bytes(200, 4), 4000); // straddles the end: 96 bytes in place, 104 appended
  const report = layer.revertAllToDurableSync();
  assert.deepEqual(report, [{ path: file, durable: 4096, lostBytes: 104, revertedBytes: 150 + 96 }]);
  assert.deepEqual(fs.readFileSync(file), bytes(4096, 1), 'exactly what the fdatasync covered');

  const synced = path.join(path.dirname(file), 'synced');
  const fresh = new FileLayer(); // a layer after its power cut writes nothing more
  assert.throws(() => layer.open(synced, { create: true }).writeAt(bytes(1, 1), 0), /after the power cut/);
  const other = fresh.open(synced, { create: true });
  other.writeAt(bytes(64, 1), 0);
  other.datasyncSync();
  other.writeAt(bytes(16, 9), 8);
  other.datasyncSync();
  fresh.revertAllToDurableSync();
  assert.deepEqual(fs.readFileSync(synced), Buffer.concat([bytes(8, 1), bytes(16, 9), bytes(40, 1)]));
});

test('file-layer - an fdatasync covers only writes made before it was called', async (t) => {
  const dir = tempDir(t);
  let delayMs = 30;
  const layer = new FileLayer({ slowDiskDelayMs: () => delayMs });
  const file = path.join(dir, 'f');
  const handle = layer.open(file, { create: true });
  handle.writeAt(bytes(100, 1), 0);
  handle.datasyncSync();

  // Written before the call: covered. Overwritten again during the sync: not covered.
  handle.writeAt(bytes(10, 2), 0);
  const sync = handle.datasync();
  handle.writeAt(bytes(10, 3), 0);
  handle.writeAt(bytes(20, 4), 100); // appended during the sync: not covered either
  await sync;
  assert.equal(handle.durableSize(), 100);
  layer.revertAllToDurableSync();
  assert.deepEqual(fs.readFileSync(file), Buffer.concat([bytes(10, 2), bytes(90, 1)]), 'the bytes the completed fdatasync covered');

  // Cut while the fdatasync is still in flight: the durable bytes from before it come back.
  const second = new FileLayer({ slowDiskDelayMs: () => delayMs });
  const other = second.open(path.join(dir, 'g'), { create: true });
  other.writeAt(bytes(100, 1), 0);
  other.datasyncSync();
  other.writeAt(bytes(10, 2), 0);
  delayMs = 200;
  const inFlight = other.datasync();
  other.writeAt(bytes(10, 3), 0);
  second.revertAllToDurableSync();
  assert.deepEqual(fs.readFileSync(path.join(dir, 'g')), bytes(100, 1));
  await inFlight;
  assert.deepEqual(fs.readFileSync(path.join(dir, 'g')), bytes(100, 1), 'an fdatasync completing after the cut changes nothing');
});

test('file-layer - bytes written above the watermark while an fdatasync runs are not made durable by it', async (t) => {
  const dir = tempDir(t);
  const layer = new FileLayer({ slowDiskDelayMs: () => 20 });
  const file = path.join(dir, 'f');
  const handle = layer.open(file, { create: true });
  handle.writeAt(bytes(100, 1), 0);
  const sync = handle.datasync(); // covers [0, 100) once it completes
  handle.writeAt(bytes(50, 2), 50); // rewrites part of what it covers, after the call
  await sync;
  layer.revertAllToDurableSync();
  assert.deepEqual(fs.readFileSync(file), bytes(100, 1));
});

test('file-layer - a checkpoint rewritten but not yet synced at the cut reads as the previous one', async (t) => {
  const dir = tempDir(t);
  const layer = new FileLayer({ slowDiskDelayMs: () => 200 });
  const file = path.join(dir, 'checkpoint');
  const checkpoint = StoreCheckpoint.open(layer, file);
  checkpoint.logicsPhyOffset = 1000;
  checkpoint.flushSync();
  checkpoint.logicsPhyOffset = 2000;
  const flushing = checkpoint.flush(); // written to the page cache; its fdatasync waits on the slow disk
  layer.revertAllToDurableSync();
  checkpoint.freeze();
  await flushing;

  const reopened = StoreCheckpoint.open(new FileLayer(), file);
  assert.equal(reopened.logicsPhyOffset, 1000);
});

test('file-layer - a failed write leaves neither its partial bytes nor a hole', (t) => {
  const dir = tempDir(t);
  let failAfter: number | undefined;
  const layer = new FileLayer({ writeFault: () => failAfter });
  const file = path.join(dir, 'f');
  const handle = layer.open(file, { create: true });
  handle.writeAt(bytes(100, 1), 0);
  failAfter = 30;
  assert.throws(() => handle.writeAt(bytes(100, 2), 100), (error) => isZerolossError(error, 'DISK_WRITE_FAILED'));
  failAfter = undefined;
  assert.equal(handle.size(), 100);
  assert.equal(fs.statSync(file).size, 100, 'the 30 bytes that got through are cut off');
  assert.throws(() => handle.writeAt(bytes(10, 3), 200), /hole/);
  assert.equal(fs.statSync(file).size, 100);
});

test('file-layer - a deleted file leaves the layer and the power-cut report', (t) => {
  const dir = tempDir(t);
  const layer = new FileLayer();
  const kept = layer.open(path.join(dir, 'kept'), { create: true });
  kept.writeAt(bytes(10, 1), 0);
  const gone = layer.open(path.join(dir, 'gone'), { create: true });
  gone.writeAt(bytes(10, 1), 0);
  gone.unlink();
  assert.equal(fs.existsSync(path.join(dir, 'gone')), false);
  assert.deepEqual(layer.revertAllToDurableSync().map((entry) => entry.path), [path.join(dir, 'kept')]);
  assert.equal(fs.existsSync(path.join(dir, 'gone')), false, 'the cut does not bring it back');
});
