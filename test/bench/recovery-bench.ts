/**
 * `npm run bench` (recovery table; alone: `npm run bench:recovery`): how long a store takes to open after an unclean stop with a
 * 1 GiB commit log (BENCH_RECOVERY_MIB). A child process fills a fresh store with 1 KiB records through
 * DefaultMessageStore (ASYNC_FLUSH, 4 queues, 64 puts in flight) and then dies one of two ways:
 *
 *   SIGKILL     it kills itself: the page cache keeps every write, the abort file stays;
 *   power cut   it cuts every store file to what fdatasync covered (simulatePowerCutSync), then SIGKILL.
 *
 * The bench then opens the store in process and times DefaultMessageStore.open, which loads the
 * segments, runs the abnormal recovery (validate the commit log's tail from the checkpoint, cut the
 * invalid end, rebuild the consume queues from the dispatch point) and starts the services; it prints
 * the recovery report beside the time. Target (issue 19): under 5 s for 1 GiB. Not part of `npm test`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSettings } from '../../broker/config/broker-config';
import { FileLayer } from '../../broker/io/file-layer';
import { DefaultMessageStore } from '../../broker/store/message-store';

const MIB = Number(process.env.BENCH_RECOVERY_MIB ?? 1024);
const BODY_BYTES = 1024;
const IN_FLIGHT = 64;
const STORE_HOST = { ip: '127.0.0.1', port: 10911 };
const settings = { ...defaultSettings(), flushDiskType: 'ASYNC_FLUSH' as const };

function open(dir: string): Promise<DefaultMessageStore> {
  return DefaultMessageStore.open({ storePathRootDir: dir, storeHost: STORE_HOST, settings: () => settings, fileLayer: new FileLayer() });
}

/** The child: fill `dir` to MIB of commit log, then die as `how` says. */
async function fill(dir: string, how: 'kill' | 'power'): Promise<void> {
  const store = await open(dir);
  const body = Buffer.alloc(BODY_BYTES, 7);
  let n = 0;
  const target = MIB * 1024 * 1024;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (store.maxPhyOffset() < target) {
      const i = n++;
      const properties = new Map([['UNIQ_KEY', `R${i}`]]);
      await store.putMessage({ topic: 'RecoveryTopic', queueId: i % 4, flag: 0, body, properties, bornTimestamp: Date.now(), bornHost: STORE_HOST, sysFlag: 0, reconsumeTimes: 0, preparedTransactionOffset: 0 });
    }
  }));
  if (how === 'power') store.simulatePowerCutSync();
  process.kill(process.pid, 'SIGKILL');
}

function runChild(dir: string, how: 'kill' | 'power'): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--fill', dir, how], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(performance.now() - started) : reject(new Error(`the filler exited with ${code ?? signal}, not SIGKILL`))));
  });
}

async function measure(how: 'kill' | 'power'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zl-recovery-bench-'));
  try {
    const fillMs = await runChild(dir, how);
    const logBytes = fs.readdirSync(path.join(dir, 'commitlog')).reduce((sum, f) => sum + fs.statSync(path.join(dir, 'commitlog', f)).size, 0);
    const started = performance.now();
    const store = await open(dir);
    const openMs = performance.now() - started;
    const report = store.recoveryReport();
    await store.shutdown();
    const label = how === 'kill' ? 'after SIGKILL' : 'after a power cut';
    return `| ${label} | ${(logBytes / 1024 / 1024).toFixed(0)} | ${(fillMs / 1000).toFixed(1)} | ${(openMs / 1000).toFixed(2)} | ${report.abnormal} | ${(report.maxPhyOffset / 1024 / 1024).toFixed(0)} | ${(report.truncatedBytes / 1024).toFixed(0)} | ${report.redispatched.toLocaleString('en-US')} |`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--fill') {
  await fill(process.argv[3]!, process.argv[4] as 'kill' | 'power');
} else {
  console.log(`Recovery bench: a ${MIB} MiB commit log of ${BODY_BYTES} B records, ASYNC_FLUSH, ${os.cpus().length} cores, node ${process.version}`);
  console.log('| stop | log MiB on disk | fill s | open s | abnormal | log end after recovery MiB | recovery cut KiB | re-dispatched records |');
  console.log('|---|--:|--:|--:|---|--:|--:|--:|');
  console.log(await measure('kill'));
  console.log(await measure('power'));
}
