/**
 * The power-cut witness on hand-written strace text: the parser joins `<unfinished ...>` lines with
 * their `resumed` lines across threads and decodes strace's string escapes; the model takes a file's
 * durable state at the START of its latest fdatasync that completed before the cut; the verdict
 * notices a cut that keeps too much (size or bytes), one that takes back what the layer had seen
 * synced, a cut report that disagrees with the disk, and a trace it cannot see through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, judgeCut, type CutReportEntry } from '../support/strace-witness';
import { decodeString, parseTrace } from '../support/strace-trace';

const S = '/s';
const LOG = `${S}/commitlog/00000000000000000000`;
const CHECKPOINT = `${S}/checkpoint`;
/** the broker's stderr line at the instant of the cut (POWER_CUT_STRIKES), as strace -x prints it */
const CUT = '100 9.000000 write(2<pipe:[7]>, "[broker] power cut strikes 4 ms after the order, with 512 commit-log bytes in the page cache only\\x0a", 97) = 97';
const POWER_LOSS_ORDER = '100 8.000000 recvmsg(3<socket:[1]>, {msg_name=NULL, msg_iov=[{iov_base="{\\"type\\":\\"powerLoss\\"}\\n", iov_len=65536}], msg_iovlen=1}, MSG_CMSG_CLOEXEC) = 21';

function model(trace: string) {
  return buildModel(parseTrace(trace.trim().split('\n').map((l) => l.trim()).join('\n')), { storeDir: S });
}

function judge(trace: string, disk: Record<string, string>, report: CutReportEntry[] = []) {
  const files = new Map(Object.entries(disk).map(([p, content]) => [p, Buffer.from(content)]));
  return judgeCut(model(trace), files, report);
}

test('strace-witness - decodes strace strings: hex, C escapes, octal, and a truncated tail', () => {
  assert.deepEqual(decodeString('"\\x68\\x00\\xff"'), { bytes: Buffer.from([0x68, 0, 0xff]), truncated: false });
  assert.deepEqual(decodeString('"a\\"b\\\\c\\n\\t\\0\\177"'), { bytes: Buffer.from('a"b\\c\n\t\0\x7f', 'latin1'), truncated: false });
  assert.deepEqual(decodeString('"abc"...'), { bytes: Buffer.from('abc'), truncated: true });
});

test('strace-witness - joins unfinished and resumed calls of interleaved threads', () => {
  const calls = parseTrace([
    `100 1.000001 pwrite64(18<${LOG}>, "yy", 2, 0 <unfinished ...>`,
    `101 1.000002 fdatasync(18<${LOG}> <unfinished ...>`,
    '100 1.000003 <... pwrite64 resumed>) = 2',
    '102 1.000004 +++ exited with 0 +++',
    '101 1.000005 <... fdatasync resumed>) = 0',
    `100 1.000006 openat(AT_FDCWD</w>, "${S}/x", O_RDWR|O_CREAT, 0666) = 19<${S}/x>`,
    `100 1.000007 unlink("${S}/gone") = -1 ENOENT (No such file or directory)`,
    `101 1.000008 fsync(19<${S}/x> <unfinished ...>`,
    '100 1.000009 kill(100, SIGKILL) = ?',
  ].join('\n'));
  assert.deepEqual(calls.map((c) => [c.tid, c.name, c.entryLine, c.exitLine, c.ret]), [
    [100, 'pwrite64', 0, 2, 2],
    [101, 'fdatasync', 1, 4, 0],
    [100, 'openat', 5, 5, 19],
    [100, 'unlink', 6, 6, -1],
    [100, 'kill', 8, 8, null],
    [101, 'fsync', 7, Infinity, null],
  ]);
  assert.deepEqual(calls[0]!.args, [`18<${LOG}>`, '"yy"', '2', '0']);
  assert.equal(calls[2]!.retPath, `${S}/x`);
  assert.equal(calls[3]!.errno, 'ENOENT');
});

test('strace-witness - a write that returns while an fdatasync is in flight is not durable', () => {
  const m = model(`
    100 1.0 openat(AT_FDCWD</w>, "${LOG}", O_RDWR|O_CREAT|O_TRUNC, 0666) = 18<${LOG}>
    100 1.1 pwrite64(18<${LOG}>, "aaaa", 4, 0) = 4
    101 1.2 fdatasync(18<${LOG}> <unfinished ...>
    100 1.3 pwrite64(18<${LOG}>, "bbbb", 4, 4) = 4
    101 1.4 <... fdatasync resumed>) = 0
    100 1.5 pwrite64(18<${LOG}>, "cc", 2, 8) = 2
    ${CUT}
    100 9.1 pwrite64(18<${LOG}>, "dd", 2, 10) = 2
    100 9.2 ftruncate(18<${LOG}>, 4) = 0
  `);
  const log = m.files.get(LOG)!;
  assert.equal(log.durableSync?.sizeAtEntry, 4, 'only the bytes written before the fdatasync started');
  assert.equal(log.size, 12, 'writes after the cut count as written, not durable');
  assert.equal(log.sizeAtCut, 10);
  assert.deepEqual(m.cutActions, [{ path: LOG, length: 4 }], "the cut's own truncation is not applied to the model");
  assert.deepEqual(m.blind, []);
});

test('strace-witness - only fdatasyncs completed before the cut count, the latest-starting one wins', () => {
  const m = model(`
    100 1.0 openat(AT_FDCWD</w>, "${LOG}", O_RDWR|O_CREAT, 0666) = 18<${LOG}>
    100 1.1 pwrite64(18<${LOG}>, "aaaa", 4, 0) = 4
    101 1.2 fdatasync(18<${LOG}> <unfinished ...>
    100 1.3 pwrite64(18<${LOG}>, "bbbb", 4, 4) = 4
    102 1.4 fdatasync(18<${LOG}>) = 0
    101 1.5 <... fdatasync resumed>) = 0
    100 1.6 pwrite64(18<${LOG}>, "cccc", 4, 8) = 4
    101 1.7 fdatasync(18<${LOG}> <unfinished ...>
    ${CUT}
    101 9.1 <... fdatasync resumed>) = 0
  `);
  assert.equal(m.files.get(LOG)!.durableSync?.sizeAtEntry, 8, 'the sync that started later covers more, whatever order they returned in');
  assert.equal(m.syncs.filter((s) => s.durable).length, 2, 'the one that returned after the cut does not count');
});

test('strace-witness - the cut is where the broker says it strikes, not where the powerLoss order arrived', () => {
  const m = model(`
    100 1.0 openat(AT_FDCWD</w>, "${LOG}", O_RDWR|O_CREAT, 0666) = 18<${LOG}>
    100 1.1 pwrite64(18<${LOG}>, "aaaa", 4, 0) = 4
    101 1.2 fdatasync(18<${LOG}> <unfinished ...>
    ${POWER_LOSS_ORDER}
    101 8.1 <... fdatasync resumed>) = 0
    100 8.2 pwrite64(18<${LOG}>, "bbbb", 4, 4) = 4
    ${CUT}
    100 9.1 ftruncate(18<${LOG}>, 4) = 0
  `);
  assert.equal(m.files.get(LOG)!.durableSync?.sizeAtEntry, 4, 'the fdatasync that returned while the broker waited for its worst moment counts');
  assert.equal(m.files.get(LOG)!.sizeAtCut, 8, 'so does the write made while it waited');
  assert.deepEqual(m.cutActions, [{ path: LOG, length: 4 }]);
});

test('strace-witness - renames carry a file, unlinks drop it, write() follows the file position', () => {
  const m = model(`
    100 1.0 openat(AT_FDCWD</w>, "${S}/a.tmp", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 20<${S}/a.tmp>
    100 1.1 write(20<${S}/a.tmp>, "{}", 2) = 2
    100 1.2 lseek(20<${S}/a.tmp>, 10, SEEK_SET) = 10
    100 1.3 write(20<${S}/a.tmp>, "z", 1) = 1
    100 1.4 fdatasync(20<${S}/a.tmp>) = 0
    100 1.5 close(20<${S}/a.tmp>) = 0
    100 1.6 rename("${S}/a.tmp", "${S}/a") = 0
    100 1.7 openat(AT_FDCWD</w>, "${S}/seg", O_RDWR|O_CREAT, 0666) = 21<${S}/seg>
    100 1.8 unlinkat(AT_FDCWD</w>, "${S}/seg", 0) = 0
    ${CUT}
  `);
  assert.deepEqual([...m.files.keys()], [`${S}/a`]);
  assert.equal(m.files.get(`${S}/a`)!.durableSync?.sizeAtEntry, 11);
});

const SYNCED_LOG = `
  100 1.0 openat(AT_FDCWD</w>, "${LOG}", O_RDWR|O_CREAT, 0666) = 18<${LOG}>
  100 1.1 pwrite64(18<${LOG}>, "aaaa", 4, 0) = 4
  101 1.2 fdatasync(18<${LOG}>) = 0
  100 1.3 pwrite64(18<${LOG}>, "bbbb", 4, 4) = 4
  101 1.4 fdatasync(18<${LOG}>) = 0
  100 1.5 pwrite64(18<${LOG}>, "cccc", 4, 8) = 4
  101 1.6 fdatasync(18<${LOG}>) = 0
  100 1.7 pwrite64(18<${LOG}>, "dddd", 4, 12) = 4
  101 1.8 fdatasync(18<${LOG}> <unfinished ...>
  ${CUT}
`;

test('strace-witness - an exact cut passes', () => {
  const verdict = judge(SYNCED_LOG, { [LOG]: 'aaaabbbbcccc' }, [{ path: LOG, lostBytes: 4, durable: 12 }]);
  assert.deepEqual(verdict.violations, []);
  assert.deepEqual(verdict.files.map((f) => [f.written, f.durable, f.floor, f.kept, f.contentChecked]), [[16, 12, 8, 12, 12]]);
});

test('strace-witness - a cut that keeps what no fdatasync covered fails', () => {
  const verdict = judge(SYNCED_LOG, { [LOG]: 'aaaabbbbccccdddd' });
  assert.deepEqual(verdict.violations, ['commitlog/00000000000000000000: kept 16 bytes, but fdatasync covered only 12: 4 bytes survived that a power cut may lose']);
});

test('strace-witness - an unsynced in-place overwrite that survives the cut fails', () => {
  const verdict = judge(`
    100 1.0 openat(AT_FDCWD</w>, "${CHECKPOINT}", O_RDWR|O_CREAT, 0666) = 19<${CHECKPOINT}>
    100 1.1 pwrite64(19<${CHECKPOINT}>, "\\x01\\x01", 2, 0) = 2
    101 1.2 fdatasync(19<${CHECKPOINT}>) = 0
    100 1.3 pwrite64(19<${CHECKPOINT}>, "\\x02\\x02", 2, 0) = 2
    101 1.4 fdatasync(19<${CHECKPOINT}> <unfinished ...>
    ${CUT}
  `, { [CHECKPOINT]: '\x02\x02' });
  assert.deepEqual(verdict.violations, ['checkpoint: 2 bytes from offset 0 differ from what fdatasync covered: an unsynced overwrite survived the cut']);
});

test('strace-witness - a cut that takes back commit-log bytes the layer had seen synced fails', () => {
  // The fourth fdatasync was dispatched after the layer took the third's result; the third was
  // dispatched after the second returned with 8 bytes written, so it covered at least those 8.
  const verdict = judge(SYNCED_LOG, { [LOG]: 'aaaabbb' }, [{ path: LOG, lostBytes: 9 }]);
  assert.deepEqual(verdict.violations, ['commitlog/00000000000000000000: kept 7 bytes, but fdatasync had covered 8 (and the file layer had seen it complete)']);
});

test('strace-witness - a cut report that disagrees with the disk fails', () => {
  const verdict = judge(SYNCED_LOG, { [LOG]: 'aaaabbbbcccc' }, [{ path: LOG, lostBytes: 5, durable: 11 }, { path: `${S}/other`, lostBytes: 1 }]);
  assert.deepEqual(verdict.violations, [
    'commitlog/00000000000000000000: the cut report says 5 bytes lost, the trace and the disk say 4',
    'commitlog/00000000000000000000: the cut report says 11 bytes durable, 12 are on disk',
    'the cut report names other, which the trace does not show alive at the cut',
  ]);
  assert.deepEqual(judge(SYNCED_LOG, { [LOG]: 'aaaabbbbcccc' }).violations, ['commitlog/00000000000000000000: the cut took 4 bytes, the cut report does not name the file']);
});

test('strace-witness - a witness that cannot see says so', () => {
  const verdict = judge(`
    100 1.0 io_uring_setup(256, {flags=0}) = 7
    100 1.1 pwrite64(18<${LOG}>, "aaaa", 4, 0) = 4
  `, { [LOG]: 'aaaa', [`${S}/unseen`]: 'x' });
  assert.deepEqual(verdict.violations, [
    'the witness is blind: the cut (the broker\'s "power cut strikes" line) is not in the trace',
    'the witness is blind: the broker set up an io_uring (its file I/O is invisible to strace)',
    'the witness is blind: /s/commitlog/00000000000000000000 existed before the trace started',
    'commitlog/00000000000000000000: kept 4 bytes, but fdatasync covered only 0: 4 bytes survived that a power cut may lose',
    'unseen is on disk after the cut, but the trace never saw it written',
  ]);
});

test('strace-witness - vectored writes and kernel copies: bytes where strace printed them, sizes always', () => {
  const verdict = judge(`
    100 1.0 openat(AT_FDCWD</w>, "${S}/v", O_RDWR|O_CREAT, 0666) = 18<${S}/v>
    100 1.1 pwritev(18<${S}/v>, [{iov_base="ab", iov_len=2}, {iov_base="cd"..., iov_len=4}, {iov_base="ef", iov_len=2}], 3, 0) = 8
    100 1.2 fdatasync(18<${S}/v>) = 0
    100 1.3 openat(AT_FDCWD</w>, "${S}/v.bak", O_WRONLY|O_CREAT, 0100644) = 19<${S}/v.bak>
    100 1.4 copy_file_range(18<${S}/v>, [0], 19<${S}/v.bak>, NULL, 8, 0) = 8
    ${CUT}
  `, { [`${S}/v`]: 'abcdXYef', [`${S}/v.bak`]: 'abcdXYef' });
  assert.deepEqual(verdict.files.map((f) => [f.path, f.durable, f.contentChecked]), [[`${S}/v`, 8, 4], [`${S}/v.bak`, 0, 0]]);
  assert.deepEqual(verdict.violations, ['v.bak: kept 8 bytes, but fdatasync covered only 0: 8 bytes survived that a power cut may lose']);
});
