/**
 * The simulator's clock and disk, and the real store running on them: events in time and schedule
 * order, a killed process's events dropped; LazyFS semantics (only what an fdatasync covered
 * survives a power cut, a torn write keeps whole sectors, unsynced directory entries vanish); and
 * DefaultMessageStore, unchanged, keeping every PUT_OK under SYNC_FLUSH and losing the unflushed
 * tail under ASYNC_FLUSH, the same way for the same seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock } from '../../broker/sim/sim-clock';
import { SimDisk, SECTOR_BYTES } from '../../broker/sim/sim-disk';
import { seededRandom } from '../../broker/io/prng';
import { FileLayer } from '../../broker/io/file-layer';
import { DefaultMessageStore } from '../../broker/store/message-store';
import { PutMessageStatus } from '../../broker/protocol/codes';
import type { BrokerSettings } from '../../broker/config/broker-config';
import type { LabBug } from '../../broker/lab-bugs';
import { drive, settle } from '../../server/sim/driver';
import { message, STORE_HOST, testSettings } from '../support/store-fixtures';

test('sim-clock - events run in time order, ties in schedule order; a killed process runs nothing more', async () => {
  const clock = new SimClock();
  const seen: string[] = [];
  const node = clock.process();
  clock.setTimeout(() => seen.push('b@5'), 5);
  clock.setTimeout(() => seen.push('a@1'), 1);
  clock.setTimeout(() => seen.push('c@5'), 5);
  const tick = node.setInterval(() => seen.push(`tick@${clock.monotonicMs()}`), 2);
  node.setTimeout(() => seen.push('never'), 7);
  clock.setTimeout(() => node.kill(), 6);
  clock.atEndOfTurn(() => seen.push('end-of-turn@0'));
  assert.equal(await drive(clock), 'idle');
  assert.deepEqual(seen, ['end-of-turn@0', 'a@1', 'tick@2', 'tick@4', 'b@5', 'c@5']);
  tick.cancel();
  assert.equal(clock.monotonicMs(), 6);
});

function disk(clock = new SimClock(), syncLatencyMs = 1) {
  const d = new SimDisk(clock, { syncLatencyMs: () => syncLatencyMs });
  d.mkdirp('/n');
  return { clock, d };
}

test('sim-disk - a power cut keeps what fdatasync covered at its call, and only directory entries that were synced', async () => {
  const { clock, d } = disk();
  const fd = d.open('/n/log', 'w+');
  d.syncDirectory('/n');
  d.write(fd, Buffer.from('aaaa'), 0, 4, 0);
  const sync = d.datasync(fd);
  d.write(fd, Buffer.from('bbbb'), 0, 4, 4); // after the call: not covered
  await settle(clock, sync);
  d.write(fd, Buffer.from('cc'), 0, 2, 8);
  const other = d.open('/n/unsynced-entry', 'w+');
  d.write(other, Buffer.from('x'), 0, 1, 0);
  d.datasyncSync(other);
  assert.equal(d.unsyncedBytes(), 6);
  assert.equal(d.powerCut(), 6);
  assert.equal(d.readFile('/n/log').toString(), 'aaaa');
  assert.equal(d.exists('/n/unsynced-entry'), false, 'its data was synced, its directory entry was not');
  assert.throws(() => d.sizeOf(fd), /EBADF/);
});

test('sim-disk - a torn write keeps whole sectors of the oldest unsynced write; EIO and ENOSPC on demand', async () => {
  const { d } = disk();
  const fd = d.open('/n/log', 'w+');
  d.syncDirectory('/n');
  d.write(fd, Buffer.alloc(3 * SECTOR_BYTES, 7), 0, 3 * SECTOR_BYTES, 0);
  d.powerCut(seededRandom(4));
  const kept = d.readFile('/n/log').length;
  assert.ok(kept % SECTOR_BYTES === 0 && kept <= 3 * SECTOR_BYTES, `kept ${kept} bytes`);

  const clock = new SimClock();
  let fail = true;
  const failing = new SimDisk(clock, { syncLatencyMs: () => 0, syncFails: () => fail, capacityBytes: 10 });
  failing.mkdirp('/n');
  const f = failing.open('/n/f', 'w+');
  failing.write(f, Buffer.from('12345'), 0, 5, 0);
  await assert.rejects(settle(clock, failing.datasync(f)), /EIO/);
  fail = false;
  await settle(clock, failing.datasync(f));
  assert.throws(() => failing.write(f, Buffer.from('1234567890'), 0, 10, 5), /ENOSPC/);
});

/** The real store on a simulated disk: N concurrent puts, a power cut, a reopen; what is left. */
async function putThenCut(settings: BrokerSettings, seed: number, labBugs: LabBug[] = []) {
  const clock = new SimClock();
  const random = seededRandom(seed);
  const simDisk = new SimDisk(clock.process(), { syncLatencyMs: () => 1 + random.int(4) });
  const open = (processClock = clock.process()) => {
    simDisk.reboot(processClock);
    const fileLayer = new FileLayer({ clock: processClock, disk: simDisk });
    return { processClock, store: settle(clock, DefaultMessageStore.open({ storePathRootDir: '/node/store', storeHost: STORE_HOST, settings: () => settings, fileLayer, clock: processClock, labBugs: new Set(labBugs) })) };
  };
  const first = open();
  const store = await first.store;
  const acked: string[] = [];
  const puts = Array.from({ length: 60 }, async (_, i) => {
    await first.processClock.sleep(random.int(50));
    const result = await store.putMessage(message({ uniqKey: `k${i}`, body: Buffer.alloc(200 + random.int(300), i) }));
    if (result.status === PutMessageStatus.PUT_OK) acked.push(`k${i}`);
  });
  await drive(clock, { deadlineMs: 30 + random.int(30) });
  // The power cut: the process dies with its timers, the page cache is lost.
  store.haltSync();
  first.processClock.kill();
  simDisk.powerCut();
  void Promise.all(puts);
  const second = await open().store;
  const kept = new Set<string>();
  for (const queue of second.consumeQueues()) {
    for (let offset = queue.minOffsetInQueue(); offset < queue.maxOffsetInQueue(); offset++) {
      const key = second.lookMessageByOffset(queue.getEntry(offset)!.commitLogOffset)?.properties.get('UNIQ_KEY');
      if (key) kept.add(key);
    }
  }
  return { acked, lost: acked.filter((k) => !kept.has(k)), events: clock.eventsRun };
}

test('sim-disk - the real store: SYNC_FLUSH keeps every PUT_OK through a simulated power cut, over many seeds', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const run = await putThenCut(testSettings({ flushDiskType: 'SYNC_FLUSH' }), seed);
    assert.ok(run.acked.length > 0, `seed ${seed}: some puts were answered before the cut`);
    assert.deepEqual(run.lost, [], `seed ${seed}`);
  }
});

test('sim-disk - the real store: the lab bug ack-before-fsync loses PUT_OK under SYNC_FLUSH within 5 seeds', async () => {
  let firstSeedWithLoss: number | undefined;
  for (let seed = 1; seed <= 5 && firstSeedWithLoss === undefined; seed++) {
    if ((await putThenCut(testSettings({ flushDiskType: 'SYNC_FLUSH' }), seed, ['ack-before-fsync'])).lost.length > 0) firstSeedWithLoss = seed;
  }
  assert.ok(firstSeedWithLoss !== undefined, 'the simulator catches a store that answers before its fdatasync');
});

test('sim-disk - the real store: ASYNC_FLUSH loses answered puts to a simulated power cut, the same ones for the same seed', async () => {
  const settings = testSettings({ flushDiskType: 'ASYNC_FLUSH', flushIntervalCommitLog: 500 });
  let seedsWithLoss = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const run = await putThenCut(settings, seed);
    if (run.lost.length > 0) seedsWithLoss++;
    if (seed <= 3) assert.deepEqual(await putThenCut(settings, seed), run, `seed ${seed} replays identically`);
  }
  assert.ok(seedsWithLoss >= 8, `ASYNC_FLUSH lost PUT_OK messages in ${seedsWithLoss} of 10 seeds`);
});

test('sim-disk - a bit flipped on the medium is caught by the body CRC at recovery: the log ends before the corrupted record', async () => {
  const clock = new SimClock();
  const simDisk = new SimDisk(clock, { syncLatencyMs: () => 1 });
  const settings = testSettings({ flushDiskType: 'SYNC_FLUSH' });
  const open = () => settle(clock, DefaultMessageStore.open({ storePathRootDir: '/node/store', storeHost: STORE_HOST, settings: () => settings, fileLayer: new FileLayer({ clock, disk: simDisk }), clock }));
  const store = await open();
  const offsets: number[] = [];
  for (let i = 0; i < 10; i++) {
    const result = await settle(clock, store.putMessage(message({ uniqKey: `k${i}`, body: Buffer.alloc(300, i) })));
    assert.equal(result.status, PutMessageStatus.PUT_OK);
    offsets.push(result.append!.wroteOffset);
  }
  store.haltSync();
  simDisk.processDied();
  // A bit of record 6's body (well past its header) rots on the medium.
  simDisk.flipBit('/node/store/commitlog/00000000000000000000', offsets[6]! + 250, 3);
  const reopened = await open();
  assert.equal(reopened.maxPhyOffset(), offsets[6], 'recovery truncated at the corrupted record');
  assert.ok(reopened.lookMessageByOffset(offsets[5]!), 'the records before it are kept');
});
