/**
 * A drill against a cluster Zeroloss did not start for it (issue 18): `zeroloss cluster` runs apart,
 * as brokers run under a service manager (--restart-crashed: a killed broker comes back by itself),
 * and `zeroloss drill --target external` reaches it only through its name server, reads what it
 * runs with GET_BROKER_CONFIG, and kills its master with a `command` fault executor that finds the
 * broker's pid in its store's lock file. Nothing here is shared with the drill's process but TCP, the
 * files the executor reads, and the signals it sends.
 *
 * The cluster runs with RocketMQ 4.x's ACL (--acl-file): every request of the drill, its traffic
 * runners, its consumers, the dashboard's service and the Traffic page's target is signed by an
 * account, and one that may not write the topic is stopped at its first send.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../server/cluster/child-process';
import { MQAdminClient } from '../../server/cluster/admin-client';
import { DrillRecorder } from '../../server/drills/recorder';
import { drillSpec } from '../../server/drills/catalog';
import { ExternalRunInputSchema, ExternalTargetService } from '../../server/external/external-service';
import { tempDatabase } from '../support/temp-lab';
import { ZEROLOSS_CLI, startClusterProcess, type ClusterProcess } from '../support/cluster-process';
import { ExternalCluster } from '../../server/external/external-cluster';
import { waitFor } from '../support/broker-process';

const CLI = ZEROLOSS_CLI;

interface Run { code: number | null; stdout: string; stderr: string }

/** The cluster's ACL accounts: an admin (creates the drills' topics) and one that may only subscribe. */
const ADMIN = { accessKey: 'zl-admin', secretKey: 'admin-secret-1' };
const READER = { accessKey: 'zl-reader', secretKey: 'reader-secret-1' };
const ACL_YAML = `accounts:
  - accessKey: ${ADMIN.accessKey}
    secretKey: ${ADMIN.secretKey}
    admin: true
  - accessKey: ${READER.accessKey}
    secretKey: ${READER.secretKey}
    defaultTopicPerm: SUB
    defaultGroupPerm: SUB
`;
/** The CLI's flag and variable for an account: the secret never rides on the command line. */
const as = (account: { accessKey: string; secretKey: string }) => ({ args: ['--access-key', account.accessKey], env: { ZEROLOSS_SECRET_KEY: account.secretKey } });

/** Runs `zeroloss <args>` to its end. */
function zeroloss(args: string[], timeoutMs = 120_000, env: Record<string, string> = { ZEROLOSS_SECRET_KEY: ADMIN.secretKey }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`zeroloss ${args.join(' ')} took more than ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The pid in a Zeroloss store's lock file ({"pid": 4242, "token": …}). */
function lockPid(storeRoot: string): number {
  return (JSON.parse(fs.readFileSync(path.join(storeRoot, 'lock'), 'utf8')) as { pid: number }).pid;
}

describe('external target: a drill against a cluster started apart, faults through the command executor', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-external-test-'));
  let cluster: ClusterProcess | undefined;
  let namesrv = '';
  let masterStore = '';
  const executorFile = path.join(dir, 'executors.json');

  before(async () => {
    fs.writeFileSync(path.join(dir, 'plain_acl.yml'), ACL_YAML);
    cluster = await startClusterProcess(dir, ['--restart-crashed', '500', '--acl-file', path.join(dir, 'plain_acl.yml')]);
    namesrv = cluster.namesrv;
    // What a user writes for brokers run from their own store directory: the pid comes from the lock file.
    fs.writeFileSync(executorFile, JSON.stringify({
      type: 'command',
      timeoutMs: 10_000,
      commands: { 'kill-broker': 'kill -KILL "$(sed -E \'s/.*"pid": *([0-9]+).*/\\1/\' {config.storePathRootDir}/lock)"' },
    }));
    // Where broker-a's master keeps its store, asked as the drill will ask it.
    const admin = new MQAdminClient(undefined, ADMIN);
    try {
      const master = (await admin.clusterInfo(namesrv)).brokerAddrTable['broker-a']!.brokerAddrs['0']!;
      masterStore = (await admin.getBrokerConfigProperties(master)).storePathRootDir!;
    } finally {
      admin.close();
    }
    assert.ok(fs.existsSync(path.join(masterStore, 'lock')), `broker-a's master holds the lock of ${masterStore}`);
  });

  after(async () => {
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('external-target - dry run: reads the cluster, prints the rendered kill command, kills nothing', async () => {
    const pidBefore = lockPid(masterStore);
    const run = await zeroloss(['drill', 'process-crash', '--target', 'external', '--namesrv', namesrv, '--executors', executorFile, '--dry-run', ...as(ADMIN).args]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /DefaultCluster\/broker-a\/0 at \S+: (ASYNC_MASTER|SYNC_MASTER), \w+, aclEnable=true/);
    assert.match(run.stdout, /kill -KILL/);
    assert.ok(run.stdout.includes(masterStore) || run.stdout.includes(fs.realpathSync(masterStore)), `the store path is rendered into the command:\n${run.stdout}`);
    assert.equal(lockPid(masterStore), pidBefore, 'the master was not killed');
    process.kill(pidBefore, 0);
  });

  test('external-target - process-crash: the master is SIGKILLed by the executor, comes back by itself, and no SEND_OK message of two traffic runners is lost (JUnit report)', async () => {
    const pidBefore = lockPid(masterStore);
    const junit = path.join(dir, 'report.xml');
    const run = await zeroloss(['drill', 'process-crash', '--target', 'external', '--namesrv', namesrv, '--executors', executorFile,
      '--duration', '6', '--rate', '101', '--producers', '2', '--seed', '7', '--json', '--junit', junit, ...as(ADMIN).args]);
    const result = JSON.parse(run.stdout) as { status: string; verdict: string; lostAcked: number; sent: number; consumed: number; statuses: Record<string, number>; notes: string[] };
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(result.status, 'done');
    assert.equal(result.verdict, 'PASS');
    assert.equal(result.lostAcked, 0);
    assert.ok(result.sent > 300 && result.statuses.SEND_OK! > 300, `traffic flowed: ${result.sent} sent`);
    assert.ok(result.notes.some((n) => /kill broker-a's master/.test(n)), result.notes.join('\n'));
    // Both runners' messages are the run's own (a producer not registered would make them unexpected: FAIL).
    assert.ok(result.notes.some((n) => /101 msg\/s from 2 traffic runners \(51 \+ 50\)/.test(n)), result.notes.join('\n'));
    const pidAfter = lockPid(masterStore);
    assert.notEqual(pidAfter, pidBefore, 'the master is a new process');
    assert.throws(() => process.kill(pidBefore, 0), /ESRCH/, 'the old master is gone');
    const xml = fs.readFileSync(junit, 'utf8');
    assert.ok(!`${run.stdout}${run.stderr}${xml}`.includes(ADMIN.secretKey), 'the secret key is in neither the output nor the report');
    assert.match(xml, /<testcase [^>]*name="process-crash/);
    assert.doesNotMatch(xml, /<failure|<error/);
  });

  test('external-target - producer-network-flap, no executor: the runners reach the master through a proxy of the drill, whose drops and resets a checked producer is told of and an unchecked one is not', async () => {
    const flap = ['drill', 'producer-network-flap', '--target', 'external', '--namesrv', namesrv, '--seed', '5', '--json', ...as(ADMIN).args];
    const [safe, unsafe] = [await zeroloss(flap), await zeroloss([...flap, '--send-mode', 'async-unchecked'])];
    type Flap = { status: string; verdict: string; lostAcked: number; lost: Record<string, number>; statuses: Record<string, number>; notes: string[] };
    const checked = JSON.parse(safe.stdout) as Flap;
    assert.equal(safe.code, 0, safe.stderr);
    assert.equal(checked.verdict, 'PASS', checked.notes.join('\n'));
    assert.equal(checked.lostAcked, 0);
    assert.ok((checked.statuses.TIMEOUT ?? 0) > 0, `the long drop outlasted sendMsgTimeout and the producer was told: ${JSON.stringify(checked.statuses)}`);
    assert.ok(checked.notes.some((n) => /client-port link both: drop \(flap: drop for \d+ ms\)/.test(n)), checked.notes.join('\n'));
    const unchecked = JSON.parse(unsafe.stdout) as Flap;
    assert.equal(unchecked.status, 'done', unchecked.notes.join('\n'));
    assert.equal(unchecked.verdict, 'LOSS_EXPECTED', `the contrast: async-unchecked loses what the drop held and is never told\n${unchecked.notes.join('\n')}`);
    assert.ok((unchecked.lost.UNCHECKED ?? 0) > 0, `UNCHECKED messages lost: ${JSON.stringify(unchecked.lost)}`);
    assert.equal(unchecked.lostAcked, 0, 'no SEND_OK was ever given, so none can be lost');
  });

  test('external-target - the dashboard\'s run is recorded in the drill history: its target, the fault window, the ledger and the verdict', async () => {
    const db = await tempDatabase('zeroloss-external-record-');
    try {
      const recorder = new DrillRecorder(db.prisma, (id) => drillSpec(id).title);
      const service = new ExternalTargetService(db.dataDir, () => undefined, recorder);
      service.start(ExternalRunInputSchema.parse({ namesrvAddr: namesrv, ...ADMIN, executor: fs.readFileSync(executorFile, 'utf8'), durationSec: 5, rate: 60, consumers: 1, seed: 11 }));
      await waitFor('the external run to end', () => service.status()?.state !== 'running', 120_000);
      const status = service.status()!;
      assert.equal(status.state, 'done', status.lines.join('\n'));
      assert.ok(status.recordedRunId, 'the status names the recorded run');
      const run = await recorder.get(status.recordedRunId, 100);
      assert.ok(run, 'the run is in the history');
      assert.deepEqual(run.target, { kind: 'external', namesrv, executor: 'command' });
      assert.equal(run.status, 'done');
      assert.equal(run.verdict, status.result!.verdict);
      assert.equal(run.summary!.attempted, status.result!.sent);
      assert.equal(run.summary!.lostAcked, 0);
      assert.equal(run.input.seed, 11);
      assert.equal(run.faultWindows.length, 1, JSON.stringify(run.events.map((e) => [e.kind, e.message])));
      assert.ok(run.faultWindows[0]!.toT !== null && run.faultWindows[0]!.toT > run.faultWindows[0]!.fromT, 'the window closes when the master is back');
      assert.ok(run.events.some((e) => e.kind === 'verdict'));
      const history = await recorder.history({ limit: 5 });
      assert.equal(history.find((h) => h.runId === run.runId)?.target?.namesrv, namesrv);
      // The account's secret is nowhere in what was kept or shown.
      assert.ok(!JSON.stringify({ status, run, history }).includes(ADMIN.secretKey), 'the secret key is not in the status, the record or the history');
    } finally {
      await db.remove();
    }
  });

  test('external-target - the Traffic and Messages pages pointed at the external cluster: its producer, consumers and lookups go there, and only while nothing runs may the target change', async () => {
    const db = await tempDatabase('zeroloss-external-traffic-');
    // The control plane as the dashboard builds it, its own cluster not started: only the target is used.
    // Loaded after the database's setup, as temp-lab.ts loads it (the Prisma client is generated there).
    const { createLab } = await import('../../server/lab');
    const lab = createLab({ prisma: db.prisma, dataDir: db.dataDir, brokerPort: 0, namesrvPort: 0, startSlave: false });
    const cp = lab.controlPlane;
    const topic = 'ZL_TARGET_TEST';
    const cluster = new ExternalCluster([namesrv], ADMIN);
    try {
      await assert.rejects(cp.setTrafficTarget({ kind: 'external', namesrvAddr: ['127.0.0.1:1'] }), /no name server answered/);
      assert.equal(cp.state().target.kind, 'embedded', 'an unreachable target is not taken');
      await assert.rejects(cp.setTrafficTarget({ kind: 'external', namesrvAddr: [namesrv] }), /No accessKey is configured/, 'without an account the cluster refuses the target\'s reads');
      const listed = await cp.setTrafficTarget({ kind: 'external', namesrvAddr: [namesrv], ...ADMIN });
      assert.match(listed, /broker\(s\) of 1 group\(s\)/);
      assert.deepEqual(cp.state().target, { kind: 'external', namesrv, accessKey: ADMIN.accessKey });
      assert.ok(!JSON.stringify(cp.state()).includes(ADMIN.secretKey), 'the live state shows the access key, never the secret');
      // A drill on the embedded cluster would send its traffic elsewhere: refused until the target is back.
      await assert.rejects(lab.drillRunner.run({ drillId: 'process-crash' }), /the Traffic page's target is the external cluster at/);
      const masters = (await cluster.describe()).brokers.filter((b) => b.brokerId === 0);
      await cluster.createTopic(topic, 2, masters);
      await waitFor('the topic routed', async () => ((await cluster.route(topic))?.queueDatas.length ?? 0) > 0, 15_000);
      await cp.startConsumers({ count: 1, ackMode: 'after-processing', idempotent: false, processingMs: 0, failRate: 0, topic, consumerGroup: 'zl-target-test', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', rebalanceIntervalMs: 1000 });
      await cp.startTraffic({ rate: 100, bodySize: 64, sendMode: 'sync', count: 60, topic });
      await assert.rejects(cp.setTrafficTarget({ kind: 'embedded' }), /stop the traffic and the consumers first/);
      await waitFor('60 sends answered SEND_OK and consumed', () => cp.state().totals.byStatus.SEND_OK >= 60 && cp.state().totals.consumed >= 60, 60_000);
      // They are in the external cluster's log: its master's queues hold them.
      const address = await lab.messageConsole.readAddress(topic);
      assert.equal(address, masters[0]!.addr, 'the console reads from the external master');
      const ranges = await Promise.all([0, 1].map((q) => lab.messageConsole.queueRange(address, topic, q)));
      assert.equal(ranges.reduce((n, r) => n + r.maxOffset, 0), 60);
      await cp.stopTraffic();
      await cp.stopConsumers();
      await cp.setTrafficTarget({ kind: 'embedded' });
      assert.equal(cp.state().target.kind, 'embedded');
    } finally {
      cluster.close();
      await lab.stop();
      await db.remove();
    }
  });

  test('external-target - ACL: no account, a wrong secret, and an account that may not write the topic each stop the run at that step with the broker\'s reason', async () => {
    const base = ['drill', 'process-crash', '--target', 'external', '--namesrv', namesrv, '--executors', executorFile];
    const pidBefore = lockPid(masterStore);
    const none = await zeroloss([...base, '--dry-run'], 60_000, {});
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no master \(brokerId 0\) answered GET_BROKER_CONFIG: nothing to drill \(broker-a at \S+: .*NO_PERMISSION No accessKey is configured\)/);
    const wrong = await zeroloss([...base, '--dry-run', ...as(ADMIN).args], 60_000, { ZEROLOSS_SECRET_KEY: 'not-the-secret' });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /Check signature failed for accessKey=zl-admin/);
    const noSecret = await zeroloss([...base, '--dry-run', ...as(ADMIN).args], 60_000, {});
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /--access-key zl-admin: set ZEROLOSS_SECRET_KEY to the account's secret key/);
    // The reader may not create a topic (an admin request) ...
    const create = await zeroloss([...base, ...as(READER).args, '--duration', '3', '--rate', '20', '--json'], 60_000, as(READER).env);
    assert.equal(create.code, 2, create.stdout);
    assert.match((JSON.parse(create.stdout) as { error: string }).error, /refused to create topic .*Need admin permission for request code=17, but accessKey=zl-reader is not/);
    // ... nor write an existing one: its first sends are refused, and the run stops before its fault.
    const admin = new ExternalCluster([namesrv], ADMIN);
    try {
      await admin.createTopic('ZL_ACL_READONLY', 1, (await admin.describe()).brokers.filter((b) => b.brokerId === 0));
    } finally {
      admin.close();
    }
    const write = await zeroloss([...base, ...as(READER).args, '--topic', 'ZL_ACL_READONLY', '--duration', '20', '--rate', '20', '--json'], 60_000, as(READER).env);
    assert.equal(write.code, 2, write.stdout);
    const result = JSON.parse(write.stdout) as { status: string; error: string; notes: string[] };
    assert.equal(result.status, 'failed');
    assert.match(result.error, /the cluster refused the traffic for this account, so nothing was drilled: broker answered NO_PERMISSION \(16\): No default permission for topic:ZL_ACL_READONLY/);
    assert.ok(!result.notes.some((n) => /^kill broker-a's master: /.test(n)), 'no fault was injected');
    assert.equal(lockPid(masterStore), pidBefore, 'the master still runs');
    // The same refusal when the traffic would never have been told (async-unchecked): the first send is checked.
    const unchecked = await zeroloss([...base, ...as(READER).args, '--topic', 'ZL_ACL_READONLY', '--send-mode', 'async-unchecked', '--duration', '20', '--rate', '20', '--json'], 60_000, as(READER).env);
    assert.equal(unchecked.code, 2, unchecked.stdout);
    assert.match((JSON.parse(unchecked.stdout) as { error: string }).error, /the cluster refused the traffic for this account, so nothing was drilled: .*No default permission for topic:ZL_ACL_READONLY/);
    // A cluster's ACL file must give its own control plane an admin account, and controller mode is not signed yet.
    const aclFile = path.join(dir, 'no-admin.yml');
    fs.writeFileSync(aclFile, `accounts:\n  - accessKey: ${READER.accessKey}\n    secretKey: ${READER.secretKey}\n`);
    const noAdmin = await zeroloss(['cluster', '--acl-file', aclFile], 30_000, {});
    assert.equal(noAdmin.code, 2);
    assert.match(noAdmin.stderr, /--acl-file: give one account admin: true/);
    const controller = await zeroloss(['cluster', '--acl-file', path.join(dir, 'plain_acl.yml'), '--controller-mode'], 30_000, {});
    assert.equal(controller.code, 2);
    assert.match(controller.stderr, /--acl-file with --controller-mode: not yet/);
  });

  test('external-target - bad input: an unreachable name server and a failing executor command stop the run with the reason; the cluster is left as it was', async () => {
    const unreachable = await zeroloss(['drill', 'process-crash', '--target', 'external', '--namesrv', '127.0.0.1:1', '--executors', executorFile, '--duration', '3']);
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr + unreachable.stdout, /no name server answered GET_BROKER_CLUSTER_INFO \(127\.0\.0\.1:1: /);
    const failing = path.join(dir, 'failing.json');
    fs.writeFileSync(failing, JSON.stringify({ type: 'command', commands: { 'kill-broker': 'echo "permission denied for {broker}" >&2; exit 3' } }));
    const pidBefore = lockPid(masterStore);
    const run = await zeroloss(['drill', 'process-crash', '--target', 'external', '--namesrv', namesrv, '--executors', failing, '--duration', '3', '--rate', '50', '--json', ...as(ADMIN).args]);
    assert.equal(run.code, 2, run.stdout);
    const result = JSON.parse(run.stdout) as { status: string; error: string };
    assert.equal(result.status, 'failed');
    assert.match(result.error, /kill broker-a's master: .*exited with code 3.*permission denied for 'broker-a'/s, 'the command\'s own output, the value shell-quoted');
    assert.equal(lockPid(masterStore), pidBefore, 'the master still runs');
    const usage = await zeroloss(['drill', 'process-crash', '--target', 'external', '--namesrv', namesrv, '--executors', failing, '--flush-disk-type', 'SYNC_FLUSH']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--flush-disk-type: not with --target external/);
    const producers = await zeroloss(['drill', 'process-crash', '--target', 'external', '--namesrv', namesrv, '--executors', failing, '--producers', '5']);
    assert.equal(producers.code, 2);
    assert.match(producers.stderr, /--producers 5: from 1 to 4 traffic runner processes/);
    const fewer = await zeroloss(['drill', 'process-crash', '--target', 'external', '--namesrv', namesrv, '--executors', failing, '--producers', '3', '--rate', '2', '--dry-run', ...as(ADMIN).args]);
    assert.equal(fewer.code, 2);
    assert.match(fewer.stderr, /producers \(3\) must not exceed the rate \(2 msg\/s\)/);
  });
});
