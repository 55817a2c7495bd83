/**
 * A replica's epoch file in controller mode (broker/ha/epoch-file.ts, RocketMQ's EpochFileCache):
 * the consistent point of two logs (where a rejoining replica is cut back to), and the file itself on
 * the real disk: persisted, appended only with a later epoch, replaced by the master's list as far as
 * the local log goes, and refused with its name when it is corrupt.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { EPOCH_FILE_NAME, EpochFile, consistentPoint, entriesWithin, type EpochEntry } from '../../broker/ha/epoch-file';
import { realDisk } from '../../broker/io/disk';

const e = (epoch: number, startOffset: number): EpochEntry => ({ epoch, startOffset });

function tempStore(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-epoch-file-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('epoch-file - consistentPoint of identical lists is the smaller of the two logs\' ends', () => {
  const list = [e(1, 0), e(2, 1000), e(4, 1800)];
  assert.equal(consistentPoint(list, 2500, list, 2100), 2100);
  assert.equal(consistentPoint(list, 2100, list, 2500), 2100, 'symmetric');
  assert.equal(consistentPoint(list, 2500, list, 2500), 2500);
  assert.equal(consistentPoint([e(1, 0)], 700, [e(1, 0)], 300), 300);
});

test('epoch-file - consistentPoint of a diverged tail is where the last common epoch ends', () => {
  // the slave was master of epoch 2 (writing from 1000) after the group moved on to epoch 3 from 800
  const local = [e(1, 0), e(2, 1000)];
  const remote = [e(1, 0), e(3, 800)];
  assert.equal(consistentPoint(local, 1500, remote, 2000), 800);
  // seen from the master's side the logs agree to the same point
  assert.equal(consistentPoint(remote, 2000, local, 1500), 800);
  // the common epoch ends first on the local side
  assert.equal(consistentPoint([e(1, 0), e(2, 600)], 1500, [e(1, 0), e(3, 800)], 2000), 600);
  // a later common epoch after a divergence in between is found walking back from the local end
  assert.equal(consistentPoint([e(1, 0), e(2, 100), e(5, 900)], 1200, [e(1, 0), e(3, 100), e(5, 900)], 1000), 1000);
});

test('epoch-file - consistentPoint: the same epoch at different start offsets is not common', () => {
  assert.equal(consistentPoint([e(1, 0), e(2, 1000)], 1500, [e(1, 0), e(2, 1200)], 2000), 1000, 'falls back to epoch 1');
  assert.equal(consistentPoint([e(1, 0), e(2, 1000)], 1500, [e(1, 0), e(2, 900)], 2000), 900, 'falls back to epoch 1, ending first remotely');
  assert.equal(consistentPoint([e(1, 50)], 1500, [e(1, 0)], 2000), 0, 'the only shared epoch starts elsewhere');
});

test('epoch-file - consistentPoint is 0 when the lists share no epoch', () => {
  assert.equal(consistentPoint([e(1, 0), e(2, 500)], 1500, [e(3, 0), e(4, 500)], 2000), 0);
  assert.equal(consistentPoint([], 1500, [e(1, 0)], 2000), 0, 'an empty local list');
  assert.equal(consistentPoint([e(1, 0)], 1500, [], 2000), 0, 'an empty remote list');
});

test('epoch-file - entries starting past the log\'s end are ignored (entriesWithin)', () => {
  const list = [e(1, 0), e(2, 1000), e(3, 2000)];
  assert.deepEqual(entriesWithin(list, 1999), [e(1, 0), e(2, 1000)]);
  assert.deepEqual(entriesWithin(list, 2000), list, 'an epoch starting exactly at the end is kept');
  assert.deepEqual(entriesWithin(list, 0), [e(1, 0)]);
  assert.deepEqual(list, [e(1, 0), e(2, 1000), e(3, 2000)], 'the input is left alone');

  // the local log ends at 900: its epoch 2 wrote nothing here, the logs agree only to 900
  assert.equal(consistentPoint([e(1, 0), e(2, 1000)], 900, [e(1, 0), e(2, 1000)], 2000), 900);
  // the remote list's epoch 3 starts past the remote log's end: the local epoch 3 is not matched by it
  assert.equal(consistentPoint([e(1, 0), e(3, 500)], 2000, [e(1, 0), e(3, 500)], 400), 400);
});

test('epoch-file - append persists across a new EpochFile on the same directory', (t) => {
  const dir = tempStore(t);
  const file = new EpochFile(realDisk, dir);
  assert.deepEqual(file.all(), [], 'no file: no entries');
  assert.equal(file.lastEpoch(1_000_000), 0);
  assert.equal(fs.existsSync(path.join(dir, EPOCH_FILE_NAME)), false, 'reading creates nothing');

  file.append(1, 0);
  file.append(3, 1200);
  assert.deepEqual(file.all(), [e(1, 0), e(3, 1200)]);
  assert.ok(fs.existsSync(path.join(dir, EPOCH_FILE_NAME)));
  // RocketMQ's CheckpointFile text: count, CRC32 of the entry lines, the entries
  const text = fs.readFileSync(path.join(dir, EPOCH_FILE_NAME), 'utf8');
  assert.deepEqual(text.split('\n'), ['2', String(zlib.crc32('1-0\n3-1200\n')), '1-0', '3-1200', '']);

  const reopened = new EpochFile(realDisk, dir);
  assert.deepEqual(reopened.all(), [e(1, 0), e(3, 1200)]);
  assert.equal(reopened.lastEpoch(5000), 3);

  // all() hands out copies
  reopened.all()[0]!.epoch = 99;
  assert.equal(reopened.all()[0]!.epoch, 1);
});

test('epoch-file - append refuses an epoch not greater than the last', (t) => {
  const dir = tempStore(t);
  const file = new EpochFile(realDisk, dir);
  file.append(2, 0);
  assert.throws(() => file.append(2, 500), RangeError);
  assert.throws(() => file.append(1, 500), /epoch 1 is not after the last epoch 2/);
  assert.deepEqual(file.all(), [e(2, 0)], 'nothing changed in memory');
  assert.deepEqual(new EpochFile(realDisk, dir).all(), [e(2, 0)], 'nothing changed on disk');
  file.append(3, 500);
  assert.deepEqual(file.all(), [e(2, 0), e(3, 500)]);
});

test('epoch-file - append drops the entries starting at or after the new start', (t) => {
  const dir = tempStore(t);
  const file = new EpochFile(realDisk, dir);
  file.replaceWith([e(1, 0), e(2, 1000), e(3, 1500), e(4, 2000)], 5000);
  // this replica's log was cut back to 1500 and it became master of epoch 5 there
  file.append(5, 1500);
  assert.deepEqual(file.all(), [e(1, 0), e(2, 1000), e(5, 1500)]);
  assert.deepEqual(new EpochFile(realDisk, dir).all(), [e(1, 0), e(2, 1000), e(5, 1500)]);
  // between two starts: only the later ones go
  file.append(6, 1200);
  assert.deepEqual(file.all(), [e(1, 0), e(2, 1000), e(6, 1200)]);
});

test('epoch-file - replaceWith keeps only the entries within maxOffset', (t) => {
  const dir = tempStore(t);
  const file = new EpochFile(realDisk, dir);
  file.append(1, 0);
  file.append(2, 300);
  const master = [e(1, 0), e(3, 800), e(4, 1600), e(5, 2400)];
  file.replaceWith(master, 1600);
  assert.deepEqual(file.all(), [e(1, 0), e(3, 800), e(4, 1600)], 'epoch 2 is gone, epoch 5 starts past this log');
  assert.deepEqual(new EpochFile(realDisk, dir).all(), [e(1, 0), e(3, 800), e(4, 1600)]);
  master[0]!.epoch = 77;
  assert.equal(file.all()[0]!.epoch, 1, 'the file keeps its own copy');
  file.replaceWith([e(1, 0), e(3, 800)], 100);
  assert.deepEqual(file.all(), [e(1, 0)]);
});

test('epoch-file - lastEpoch(maxOffset) ignores the entries beyond maxOffset', (t) => {
  const dir = tempStore(t);
  const file = new EpochFile(realDisk, dir);
  file.append(1, 0);
  file.append(2, 1000);
  file.append(4, 3000);
  assert.equal(file.lastEpoch(5000), 4);
  assert.equal(file.lastEpoch(3000), 4);
  assert.equal(file.lastEpoch(2999), 2);
  assert.equal(file.lastEpoch(999), 1);
  assert.equal(file.lastEpoch(0), 1);
});

test('epoch-file - a corrupt file falls back to its .bak; both corrupt is refused naming the file and the fault', (t) => {
  const dir = tempStore(t);
  const filePath = path.join(dir, EPOCH_FILE_NAME);
  const file = new EpochFile(realDisk, dir);
  file.append(1, 0);
  file.append(2, 700); // the .bak now holds [1-0]
  fs.writeFileSync(filePath, '2\n12345\n1-0\n2-700\n');
  assert.deepEqual(new EpochFile(realDisk, dir).all(), [e(1, 0)], 'a CRC mismatch reads the previous version');
  for (const [bad, fault] of [
    ['{"entries":[]}', /first line is not an entry count/],
    ['2\n0\n1-0\n', /says 2 entries and holds 1/],
    ['1\n0\nseven-0\n', /is not an <epoch>-<startOffset> line/],
    ['1\nabc\n1-0\n', /second line is not a CRC32/],
  ] as const) {
    fs.writeFileSync(filePath, bad);
    fs.writeFileSync(`${filePath}.bak`, 'null');
    assert.throws(() => new EpochFile(realDisk, dir), (error: Error) => error.message.includes(filePath) && fault.test(error.message), bad);
  }
  fs.writeFileSync(filePath, '1\n0\n4-100\n');
  assert.deepEqual(new EpochFile(realDisk, dir).all(), [e(4, 100)], 'a CRC of 0 is not checked, as in RocketMQ');
});

test('epoch-file - a slave keeps its master\'s epochs past its own end; they count once its log reaches them, and go when it is elected before', (t) => {
  const dir = tempStore(t);
  const file = new EpochFile(realDisk, dir);
  file.replaceWith([e(1, 0), e(5, 900)], Infinity);
  assert.deepEqual(file.all(), [e(1, 0), e(5, 900)], 'the whole list is kept');
  assert.equal(file.lastEpoch(700), 1, 'its log ends at 700: epoch 5 wrote nothing here yet');
  assert.equal(file.lastEpoch(1000), 5);
  // elected at 700 for epoch 6: epoch 5 (from 900) never reached it and goes; nothing is refused
  file.append(6, 700);
  assert.deepEqual(file.all(), [e(1, 0), e(6, 700)]);
  assert.deepEqual(new EpochFile(realDisk, dir).all(), [e(1, 0), e(6, 700)]);
});
