/**
 * The fault executors of external clusters (server/external/fault-executors.ts): their configuration
 * and its refusals; the command executor's placeholders, shell-quoted so no value can inject shell
 * syntax (proved by running them); runSteps' failures, timeouts and aborts, which kill the whole
 * process group; the Chaos Mesh manifests, checked against the CRDs' required fields, enums and
 * patterns; the exact kubectl calls, against a fake kubectl (no Kubernetes runs here); and a dry-run
 * that prints exactly what would run, and runs nothing.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describeDryRun, FaultExecutorError, parseExecutorConfig, planFault, runSteps, supportedActions,
  type BrokerTarget, type ExecStep, type FaultAction, type FaultExecutorConfig,
} from '../../server/external/fault-executors';
import { chaosObjectName, DNS_LABEL, labelKeyProblem, labelValueProblem } from '../../server/external/chaos-mesh';

const FAKE_KUBECTL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'fake-kubectl');

const broker = (brokerName: string, brokerId: number, host: string): BrokerTarget => ({
  cluster: 'DefaultCluster', brokerName, brokerId, addr: `${host}:10911`, host, port: 10911,
  config: { storePathRootDir: `/data/${brokerName}-${brokerId}/store`, brokerRole: brokerId === 0 ? 'SYNC_MASTER' : 'SLAVE' },
});
const A0 = broker('broker-a', 0, '10.0.0.5');
const A1 = broker('broker-a', 1, '10.0.0.6');
const B0 = broker('broker-b', 0, '10.0.0.7');

/** One action of every kind on broker-a/0. */
const ACTIONS: FaultAction[] = [
  { kind: 'kill-broker', broker: A0 },
  { kind: 'start-broker', broker: A0 },
  { kind: 'partition', broker: A0, peers: [A1, B0] },
  { kind: 'delay', broker: A0, latencyMs: 200, jitterMs: 50 },
  { kind: 'loss', broker: A0, lossPercent: 12.5 },
  { kind: 'slow-disk', broker: A0, delayMs: 100 },
  { kind: 'cordon', broker: A0 },
];
const action = (kind: FaultAction['kind']) => ACTIONS.find((a) => a.kind === kind)!;

const COMMAND = JSON.stringify({
  type: 'command',
  commands: {
    'kill-broker': 'ssh {host} sudo kill -9 {pid}',
    'start-broker': 'ssh {host} sudo systemctl start rocketmq-broker@{broker}-{brokerId}',
    delay: 'ssh {host} sudo tc qdisc add dev eth0 root netem delay {latencyMs}ms {jitterMs}ms',
    'heal-delay': 'ssh {host} sudo tc qdisc del dev eth0 root',
  },
  brokers: { 'broker-a/0': { pid: '4242', host: 'a0.example.com' } },
});
const KUBERNETES = JSON.stringify({
  type: 'kubernetes', context: 'prod', namespace: 'rocketmq', podSelector: 'app=rocketmq,broker={broker},brokerId={brokerId}',
});
const CHAOS_MESH = JSON.stringify({
  type: 'chaos-mesh', namespace: 'chaos-testing', targetNamespace: 'rocketmq',
  podLabels: { app: 'rocketmq', broker: '{broker}', brokerId: '{brokerId}' }, volumePath: '{config.storePathRootDir}',
});

/** The message of what `fn` throws, which must be a FaultExecutorError. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FaultExecutorError, `a FaultExecutorError, not ${String(error)}`);
    return error.message;
  }
  assert.fail('expected a refusal');
}

async function rejection(promise: Promise<unknown>): Promise<FaultExecutorError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FaultExecutorError, `a FaultExecutorError, not ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-fault-executors-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

test('fault executors - a good config of each type parses, with its defaults', () => {
  const command = parseExecutorConfig(COMMAND, 'executors.json');
  assert.equal(command.type, 'command');
  assert.equal(command.type === 'command' && command.shell, '/bin/sh');
  assert.equal(command.timeoutMs, 30_000);
  assert.deepEqual(supportedActions(command), ['kill-broker', 'start-broker', 'delay']);

  const kubernetes = parseExecutorConfig(KUBERNETES);
  assert.deepEqual(kubernetes.type === 'kubernetes' && [kubernetes.kubectl, kubernetes.context, kubernetes.namespace], ['kubectl', 'prod', 'rocketmq']);
  assert.deepEqual(supportedActions(kubernetes), ['kill-broker', 'start-broker', 'cordon']);

  const chaos = parseExecutorConfig(CHAOS_MESH);
  assert.equal(chaos.type === 'chaos-mesh' && chaos.volumePath, '{config.storePathRootDir}');
  assert.deepEqual(supportedActions(chaos), ['kill-broker', 'start-broker', 'partition', 'delay', 'loss', 'slow-disk']);
  const defaults = parseExecutorConfig(JSON.stringify({ ...JSON.parse(CHAOS_MESH), volumePath: undefined, timeoutMs: 5000 }));
  assert.deepEqual(defaults.type === 'chaos-mesh' && [defaults.volumePath, defaults.timeoutMs], ['/home/rocketmq/store', 5000]);
});

test('fault executors - a bad config is refused naming the file, the field path and the rule', () => {
  const refused = (config: unknown) => refusal(() => parseExecutorConfig(typeof config === 'string' ? config : JSON.stringify(config), 'executors.json'));
  const command = JSON.parse(COMMAND);

  assert.match(refused('{"type": "command",'), /^executors\.json: not JSON: /);
  assert.match(refused([]), /^executors\.json: the file must hold one JSON object/);
  assert.match(refused({}), /^executors\.json: type: Required \(must be "command", "kubernetes" or "chaos-mesh"\)/);
  assert.match(refused({ type: 'ssh' }), /type: must be "command", "kubernetes" or "chaos-mesh", not "ssh"/);
  assert.match(refused({ type: 'command' }), /^executors\.json: commands: Required/);
  assert.match(refused({ type: 'command', commands: { 'start-broker': 'x' } }), /^executors\.json: commands\.kill-broker: Required/);
  assert.match(refused({ type: 'command', commands: { 'kill-broker': '' } }), /commands\.kill-broker: must not be empty/);
  assert.match(refused({ ...command, commands: { ...command.commands, 'kil-broker': 'x' } }), /commands\.kil-broker: unknown field \(known: kill-broker, heal-kill-broker, /);
  assert.match(refused({ ...command, timeoutMs: 50 }), /^executors\.json: timeoutMs: must be at least 100 ms$/);
  assert.match(refused({ ...command, timeoutMs: 600_001 }), /timeoutMs: must be at most 600000 ms/);
  assert.match(refused({ ...command, timeoutMs: 1.5 }), /timeoutMs: must be a whole number of milliseconds/);
  assert.match(refused({ ...command, timeoutMs: '30s' }), /timeoutMs: must be a number of milliseconds/);
  assert.match(refused({ ...command, shelll: '/bin/bash' }), /shelll: unknown field \(known: type, shell, commands, timeoutMs, brokers\)/);
  // Placeholders are checked when the file is read, not first when a drill is half-way through.
  assert.match(refused({ ...command, commands: { 'kill-broker': 'kill -9 {pdi}' } }), /commands\.kill-broker: \{pdi\} is not a placeholder \(known: \{broker\} .*\{pid\} \{config\.<key>\}\)/);
  assert.match(refused({ ...command, commands: { 'kill-broker': 'x', delay: 'x {peers}' } }), /commands\.delay: \{peers\} is a parameter of partition only/);
  assert.match(refused({ ...command, commands: { 'kill-broker': 'x', 'heal-loss': 'y' } }), /commands\.heal-loss: there is no loss command to heal/);
  assert.match(refused({ ...command, brokers: { 'broker-a': { pid: '1' } } }), /brokers\.broker-a: a key of brokers must be "<brokerName>\/<brokerId>"/);
  assert.match(refused({ ...command, brokers: { 'broker-a/0': { latencyMs: '1' } } }), /brokers\.broker-a\/0\.latencyMs: an action's parameter .* cannot be set per broker/);

  const kubernetes = JSON.parse(KUBERNETES);
  assert.match(refused({ ...kubernetes, namespace: 'RocketMQ' }), /namespace: must be a Kubernetes namespace name/);
  assert.match(refused({ ...kubernetes, podSelector: undefined }), /^executors\.json: podSelector: Required$/);
  assert.match(refused({ ...kubernetes, podSelector: 'broker={brokerName}' }), /podSelector: \{brokerName\} is not a placeholder/);

  const chaos = JSON.parse(CHAOS_MESH);
  assert.match(refused({ ...chaos, targetNamespace: undefined }), /^executors\.json: targetNamespace: Required$/);
  assert.match(refused({ ...chaos, podLabels: {} }), /podLabels: must name at least one label/);
  assert.match(refused({ ...chaos, podLabels: { 'bad key': 'x' } }), /podLabels\.bad key: a label key's name is 1 to 63 letters/);
  assert.match(refused({ ...chaos, volumePath: '{config.storePathRootDir}/{lossPercent}' }), /volumePath: \{lossPercent\} is a parameter of loss only/);
});

// ---------------------------------------------------------------------------------------------
// The command executor
// ---------------------------------------------------------------------------------------------

test('fault executors - command: placeholders render, each value shell-quoted; extras win over the broker\'s own', () => {
  const config = parseExecutorConfig(COMMAND);
  assert.deepEqual(planFault(config, action('kill-broker'), { id: 'r1' }), {
    action: 'kill-broker',
    steps: [{ describe: 'kill broker-a/0 (10.0.0.5:10911) without grace', argv: ['/bin/sh', '-c', "ssh 'a0.example.com' sudo kill -9 '4242'"] }],
    heal: [],
  });
  const delay = planFault(config, action('delay'), { id: 'r1' });
  assert.deepEqual(delay.steps.map((s) => s.argv[2]), ["ssh 'a0.example.com' sudo tc qdisc add dev eth0 root netem delay '200'ms '50'ms"]);
  assert.deepEqual(delay.heal.map((s) => s.argv), [['/bin/sh', '-c', "ssh 'a0.example.com' sudo tc qdisc del dev eth0 root"]]);

  const all = parseExecutorConfig(JSON.stringify({
    type: 'command', shell: '/bin/bash',
    commands: { 'kill-broker': 'x {broker} {group} {brokerId} {cluster} {addr} {host} {port} {config.storePathRootDir} ${HOME} {not a placeholder}', partition: 'cut {host} {peers}' },
  }));
  assert.deepEqual(planFault(all, { kind: 'kill-broker', broker: A1 }, { id: 'r1' }).steps[0].argv, [
    '/bin/bash', '-c', "x 'broker-a' 'broker-a' '1' 'DefaultCluster' '10.0.0.6:10911' '10.0.0.6' '10911' '/data/broker-a-1/store' ${HOME} {not a placeholder}",
  ]);
  // {peers}: every peer's host, each its own word.
  assert.equal(planFault(all, action('partition'), { id: 'r1' }).steps[0].argv[2], "cut '10.0.0.5' '10.0.0.6' '10.0.0.7'");
});

test('fault executors - command: a value cannot inject shell syntax (the rendered step run through sh)', async (t) => {
  const dir = tempDir(t);
  const marker = path.join(dir, 'injected');
  // Harmless stand-ins for `a; rm -rf /`: each would create the marker file if the shell ran it.
  const hostile = [`a; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `it's && touch ${marker} '`, `"; touch ${marker}; echo "`, 'two  spaces\nand a newline'];
  const config = parseExecutorConfig(JSON.stringify({
    type: 'command', commands: { 'kill-broker': "printf '%s\\n' {host} {evil1} {evil2} {evil3} {evil4}", partition: "printf '%s\\n' {peers}" },
    brokers: { 'broker-a/0': { host: hostile[0], evil1: hostile[1], evil2: hostile[2], evil3: hostile[3], evil4: hostile[4] }, 'broker-b/0': { host: hostile[5] } },
  }));
  const [kill] = await runSteps(planFault(config, action('kill-broker'), { id: 'r1' }).steps, { timeoutMs: 5000 });
  assert.equal(kill.stdout, hostile.slice(0, 5).map((h) => `${h}\n`).join(''), 'each value arrives as one argument, unchanged');
  const [partition] = await runSteps(planFault(config, action('partition'), { id: 'r1' }).steps, { timeoutMs: 5000 });
  assert.equal(partition.stdout, `10.0.0.6\n${hostile[5]}\n`, 'the peers\' hosts, each one argument');
  assert.equal(fs.existsSync(marker), false, 'nothing a value held was run');
});

test('fault executors - command: an unknown placeholder or config key, an unsupported action and bad parameters are refused by name', () => {
  const config = parseExecutorConfig(COMMAND);
  assert.match(refusal(() => planFault(config, action('partition'), { id: 'r1' })), /^the command executor cannot partition: its commands have no "partition" \(it has kill-broker, start-broker, delay\)$/);
  assert.match(refusal(() => planFault(config, action('cordon'), { id: 'r1' })), /the command executor cannot cordon/);

  // A config built in code skips the parse-time check; planning still refuses, naming the template.
  const unchecked: FaultExecutorConfig = { type: 'command', shell: '/bin/sh', timeoutMs: 1000, commands: { 'kill-broker': 'kill {pid}' } };
  assert.match(refusal(() => planFault(unchecked, action('kill-broker'), { id: 'r1' })), /^the command executor cannot kill-broker broker-a\/0: commands\.kill-broker "kill \{pid\}": \{pid\} is not a placeholder here$/);
  const missingKey = parseExecutorConfig(JSON.stringify({ type: 'command', commands: { 'kill-broker': 'rm -r {config.storePathRootDirr}' } }));
  assert.match(refusal(() => planFault(missingKey, action('kill-broker'), { id: 'r1' })), /commands\.kill-broker "rm -r \{config\.storePathRootDirr\}": the broker's config has no key storePathRootDirr/);

  assert.match(refusal(() => planFault(config, { kind: 'delay', broker: A0, latencyMs: -1, jitterMs: 0 }, { id: 'r1' })), /delay latencyMs and jitterMs must be whole milliseconds of at least 0, got -1 and 0/);
  const chaos = parseExecutorConfig(CHAOS_MESH);
  assert.match(refusal(() => planFault(chaos, { kind: 'loss', broker: A0, lossPercent: 101 }, { id: 'r1' })), /loss lossPercent must be more than 0 and at most 100, got 101/);
  assert.match(refusal(() => planFault(chaos, { kind: 'partition', broker: A0, peers: [] }, { id: 'r1' })), /partition needs at least one peer/);
  assert.match(refusal(() => planFault(chaos, { kind: 'partition', broker: A0, peers: [A0] }, { id: 'r1' })), /partition cannot cut broker-a\/0 from itself/);
  assert.match(refusal(() => planFault(chaos, action('kill-broker'), { id: '--' })), /the fault id "--" needs a letter or digit/);
});

// ---------------------------------------------------------------------------------------------
// runSteps
// ---------------------------------------------------------------------------------------------

const sh = (line: string, stdin?: string): ExecStep => ({ describe: line, argv: ['/bin/sh', '-c', line], ...(stdin === undefined ? {} : { stdin }) });

/**
 * Whether a process has died, polling for a moment. A killed background job is an orphan that init
 * reaps, in its own time (a second or more on this machine): until then it is a zombie, which
 * kill(pid, 0) still finds, so on Linux a zombie (state Z in /proc/<pid>/stat) counts as dead.
 */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    if (/^\d+ \(.*\) Z /.test(stat)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function pidsIn(file: string): Promise<number[]> {
  for (let i = 0; i < 100 && !(fs.existsSync(file) && fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= 3); i++) await new Promise((r) => setTimeout(r, 10));
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

test('fault executors - runSteps runs in order, captures output and feeds stdin', async () => {
  const outputs = await runSteps([sh('echo one; echo two >&2'), sh('tr a-z A-Z', 'manifest\n')], { timeoutMs: 5000 });
  assert.deepEqual(outputs.map((o) => [o.code, o.signal, o.stdout, o.stderr]), [[0, null, 'one\n', 'two\n'], [0, null, 'MANIFEST\n', '']]);
  assert.ok(outputs.every((o) => o.ms >= 0));
});

test('fault executors - runSteps: a failing step rejects with its exit code and the tail of its output, and stops the run', async (t) => {
  const after = path.join(tempDir(t), 'after');
  const error = await rejection(runSteps([sh(`head -c 10000 /dev/zero | tr '\\0' x; echo; echo 'Error from server: the end' >&2; exit 3`), sh(`touch ${after}`)], { timeoutMs: 5000 }));
  assert.match(error.message, /^step 1 of 2 "head -c 10000/);
  assert.match(error.message, /exited with code 3 \(ran \d+ ms\); last output:\n/);
  assert.match(error.message, /Error from server: the end$/);
  assert.ok(error.message.length < 5000, `only the tail is quoted (${error.message.length} characters)`);
  assert.equal(error.output?.code, 3);
  assert.equal(error.output?.stdout.length, 10_001, 'the StepOutput keeps all of it');
  assert.equal(fs.existsSync(after), false, 'the next step did not run');

  const missing = await rejection(runSteps([{ describe: 'no such program', argv: ['/nonexistent/zeroloss-kubectl', 'get'] }], { timeoutMs: 5000 }));
  assert.match(missing.message, /could not start \/nonexistent\/zeroloss-kubectl: spawn \/nonexistent\/zeroloss-kubectl ENOENT/);
});

test('fault executors - runSteps: a timeout kills the whole process group, background jobs included', async (t) => {
  const pids = path.join(tempDir(t), 'pids');
  const config = parseExecutorConfig(JSON.stringify({
    type: 'command', timeoutMs: 300,
    commands: { 'kill-broker': 'sleep 30 & echo $! > {pids}; sleep 30 & echo $! >> {pids}; echo $$ >> {pids}; wait' },
    brokers: { 'broker-a/0': { pids } },
  }));
  const started = Date.now();
  const error = await rejection(runSteps(planFault(config, action('kill-broker'), { id: 'r1' }).steps, { timeoutMs: config.timeoutMs }));
  const ms = Date.now() - started;
  assert.ok(ms < 2000, `returned in ${ms} ms`);
  assert.match(error.message, /timed out \(timeoutMs 300\) and its process group was killed/);
  assert.equal(error.output?.signal, 'SIGKILL');
  const all = await pidsIn(pids);
  assert.equal(all.length, 3);
  for (const pid of all) assert.ok(await gone(pid), `process ${pid} is gone`);
});

test('fault executors - runSteps: an abort kills the process group too; an aborted signal runs nothing', async (t) => {
  const dir = tempDir(t);
  const pids = path.join(dir, 'pids');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const started = Date.now();
  const error = await rejection(runSteps([sh(`sleep 30 & echo $! > ${pids}; (sleep 30; true) & echo $! >> ${pids}; echo $$ >> ${pids}; wait`)], { timeoutMs: 60_000, signal: controller.signal }));
  assert.ok(Date.now() - started < 2000);
  assert.match(error.message, /was aborted and its process group was killed/);
  for (const pid of await pidsIn(pids)) assert.ok(await gone(pid), `process ${pid} is gone`);

  const never = path.join(dir, 'never');
  const early = await rejection(runSteps([sh(`touch ${never}`)], { timeoutMs: 5000, signal: AbortSignal.abort() }));
  assert.match(early.message, /was aborted before it started/);
  assert.equal(fs.existsSync(never), false);
});

// ---------------------------------------------------------------------------------------------
// Chaos Mesh manifests against the CRDs
// ---------------------------------------------------------------------------------------------

/**
 * The rules of the three Chaos Mesh CRDs, as data, read from github.com/chaos-mesh/chaos-mesh at commit
 * 608b61e7c1b16c01a242e8ddc93c768ea77d783a (master, 2026-08-07; these three schemas are those of tag
 * v2.8.3 but for one description's spelling), files config/crd/bases/chaos-mesh.org_podchaos.yaml,
 * chaos-mesh.org_networkchaos.yaml and chaos-mesh.org_iochaos.yaml (version v1alpha1, openAPIV3Schema):
 * every `required` list from the root down through the fields a manifest may set, every `enum` on
 * them, the one `pattern` (NetworkChaos's delay durations), the one `minimum`, and the properties of
 * spec and selector (the API server silently prunes a field its schema does not have, so a misspelt
 * one would vanish rather than fail).
 */
const SELECTOR_PROPERTIES = ['annotationSelectors', 'expressionSelectors', 'fieldSelectors', 'labelSelectors', 'namespaces', 'nodeSelectors', 'nodes', 'podPhaseSelectors', 'pods'];
const MODES = ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'];
const DURATION_PATTERN = /^[0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h)$/;
interface CrdRules {
  plural: string;
  required: Record<string, string[]>;
  enums: Record<string, string[]>;
  patterns: Record<string, RegExp>;
  types: Record<string, 'string' | 'integer' | 'object' | 'array'>;
  minimum: Record<string, number>;
  properties: Record<string, string[]>;
}
const CRDS: Record<'PodChaos' | 'NetworkChaos' | 'IOChaos', CrdRules> = {
  PodChaos: {
    plural: 'podchaos',
    required: { '': ['spec'], spec: ['action', 'mode', 'selector'], 'spec.selector.expressionSelectors[]': ['key', 'operator'] },
    enums: { 'spec.action': ['pod-kill', 'pod-failure', 'container-kill'], 'spec.mode': MODES },
    patterns: {},
    types: { 'spec.gracePeriod': 'integer', 'spec.selector': 'object', 'spec.selector.namespaces': 'array', 'spec.selector.labelSelectors': 'object' },
    minimum: { 'spec.gracePeriod': 0 },
    properties: {
      spec: ['action', 'containerNames', 'duration', 'gracePeriod', 'mode', 'remoteCluster', 'selector', 'value'],
      'spec.selector': SELECTOR_PROPERTIES,
    },
  },
  NetworkChaos: {
    plural: 'networkchaos',
    required: {
      '': ['spec'], spec: ['action', 'mode', 'selector'], 'spec.selector.expressionSelectors[]': ['key', 'operator'],
      'spec.delay': ['latency'], 'spec.delay.reorder': ['gap', 'reorder'], 'spec.loss': ['loss'], 'spec.duplicate': ['duplicate'], 'spec.corrupt': ['corrupt'],
      'spec.rate': ['rate'], 'spec.bandwidth': ['buffer', 'limit', 'rate'],
      'spec.target': ['mode', 'selector'], 'spec.target.selector.expressionSelectors[]': ['key', 'operator'],
    },
    enums: { 'spec.action': ['netem', 'delay', 'loss', 'duplicate', 'corrupt', 'partition', 'bandwidth'], 'spec.mode': MODES, 'spec.direction': ['to', 'from', 'both'], 'spec.target.mode': MODES },
    patterns: { 'spec.delay.latency': DURATION_PATTERN, 'spec.delay.jitter': DURATION_PATTERN },
    types: { 'spec.loss.loss': 'string', 'spec.delay.latency': 'string', 'spec.delay.jitter': 'string', 'spec.selector': 'object', 'spec.target.selector': 'object' },
    minimum: {},
    properties: {
      spec: ['action', 'bandwidth', 'corrupt', 'delay', 'device', 'direction', 'duplicate', 'duration', 'externalTargets', 'loss', 'mode', 'rate', 'remoteCluster', 'selector', 'target', 'targetDevice', 'value'],
      'spec.selector': SELECTOR_PROPERTIES, 'spec.target.selector': SELECTOR_PROPERTIES,
      'spec.delay': ['correlation', 'jitter', 'latency', 'reorder'], 'spec.loss': ['correlation', 'loss'], 'spec.target': ['mode', 'selector', 'value'],
    },
  },
  IOChaos: {
    plural: 'iochaos',
    // The IOChaos schema has no `required` at its root.
    required: { spec: ['action', 'mode', 'selector', 'volumePath'], 'spec.selector.expressionSelectors[]': ['key', 'operator'] },
    enums: { 'spec.action': ['latency', 'fault', 'attrOverride', 'mistake'], 'spec.mode': MODES },
    // spec.delay has no pattern in this CRD; its description asks for a Go duration ("300ms") and the
    // webhook parses it as one, so it is held to the NetworkChaos pattern, a subset of Go's format.
    patterns: { 'spec.delay': DURATION_PATTERN },
    types: { 'spec.delay': 'string', 'spec.percent': 'integer', 'spec.volumePath': 'string', 'spec.selector': 'object' },
    minimum: {},
    properties: {
      spec: ['action', 'attr', 'containerNames', 'delay', 'duration', 'errno', 'methods', 'mistake', 'mode', 'path', 'percent', 'remoteCluster', 'selector', 'value', 'volumePath'],
      'spec.selector': SELECTOR_PROPERTIES,
    },
  },
};

/** Every value at a dotted path ("a.b[]" steps into each element of the array a.b). */
function valuesAt(root: unknown, dotted: string): unknown[] {
  let values = [root];
  for (const part of dotted === '' ? [] : dotted.split('.')) {
    const key = part.replace(/\[\]$/, '');
    values = values.flatMap((v) => {
      const next = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
      if (next === undefined) return [];
      return part.endsWith('[]') ? (Array.isArray(next) ? next : []) : [next];
    });
  }
  return values;
}

const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

/** Every way the manifest breaks its CRD's rules, and Kubernetes' naming rules. */
function crdProblems(manifest: Record<string, any>): string[] {
  const problems: string[] = [];
  const rules = CRDS[manifest.kind as keyof typeof CRDS];
  if (!rules) return [`unknown kind ${manifest.kind}`];
  if (manifest.apiVersion !== 'chaos-mesh.org/v1alpha1') problems.push(`apiVersion ${manifest.apiVersion}`);
  for (const [at, fields] of Object.entries(rules.required)) {
    for (const object of valuesAt(manifest, at)) for (const field of fields) if ((object as Record<string, unknown>)[field] === undefined) problems.push(`${at || '(root)'}.${field} is required`);
  }
  for (const [at, allowed] of Object.entries(rules.enums)) for (const v of valuesAt(manifest, at)) if (!allowed.includes(v as string)) problems.push(`${at} ${String(v)} is not one of ${allowed.join(', ')}`);
  for (const [at, pattern] of Object.entries(rules.patterns)) for (const v of valuesAt(manifest, at)) if (typeof v !== 'string' || !pattern.test(v)) problems.push(`${at} ${String(v)} does not match ${pattern}`);
  for (const [at, type] of Object.entries(rules.types)) for (const v of valuesAt(manifest, at)) if (typeOf(v) !== type) problems.push(`${at} is ${typeOf(v)}, not ${type}`);
  for (const [at, min] of Object.entries(rules.minimum)) for (const v of valuesAt(manifest, at)) if ((v as number) < min) problems.push(`${at} ${String(v)} is under ${min}`);
  for (const [at, known] of Object.entries(rules.properties)) {
    for (const object of valuesAt(manifest, at)) for (const key of Object.keys(object as object)) if (!known.includes(key)) problems.push(`${at}.${key} is not in the schema`);
  }
  const { name, namespace, labels } = manifest.metadata ?? {};
  if (typeof name !== 'string' || name.length > 63 || !DNS_LABEL.test(name)) problems.push(`metadata.name ${name} is not a DNS-1123 label`);
  if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace)) problems.push(`metadata.namespace ${namespace}`);
  if (labels?.['app.kubernetes.io/managed-by'] !== 'zeroloss') problems.push('no app.kubernetes.io/managed-by: zeroloss label');
  for (const selector of [...valuesAt(manifest, 'spec.selector'), ...valuesAt(manifest, 'spec.target.selector')] as Record<string, any>[]) {
    for (const [key, value] of Object.entries(selector.labelSelectors ?? {})) {
      const problem = labelKeyProblem(key) ?? labelValueProblem(value as string);
      if (problem) problems.push(`selector label ${key}=${String(value)}: ${problem}`);
    }
  }
  return problems;
}

/** The manifests a plan applies: every step must be `kubectl ... apply -f -` with one on stdin. */
function manifestsOf(steps: ExecStep[]): Record<string, any>[] {
  return steps.map((s) => {
    assert.deepEqual(s.argv.slice(-3), ['apply', '-f', '-']);
    return JSON.parse(s.stdin!);
  });
}

test('fault executors - chaos-mesh: every manifest has the CRD\'s required fields, valid enums, durations and names', () => {
  const config = parseExecutorConfig(CHAOS_MESH);
  for (const a of ACTIONS.filter((x) => !['start-broker', 'cordon'].includes(x.kind))) {
    const plan = planFault(config, a, { id: 'Run_42' });
    const manifests = manifestsOf(plan.steps);
    for (const m of manifests) {
      assert.deepEqual(crdProblems(m), [], `${a.kind}: ${m.kind} ${m.metadata.name}`);
      assert.deepEqual(m.spec.selector, { namespaces: ['rocketmq'], labelSelectors: { app: 'rocketmq', broker: 'broker-a', brokerId: '0' } }, 'the broker\'s pods, in their namespace');
      assert.equal(m.spec.mode, 'all');
      assert.equal(m.metadata.namespace, 'chaos-testing');
      assert.equal(m.spec.duration, undefined, 'the fault lasts until the heal deletes it');
    }
    // The heal deletes exactly the objects applied, by resource and group.
    assert.deepEqual(plan.heal.map((s) => s.argv), [['kubectl', '-n', 'chaos-testing', 'delete', `${CRDS[manifests[0].kind as keyof typeof CRDS].plural}.chaos-mesh.org`, ...manifests.map((m) => m.metadata.name), '--ignore-not-found']]);
  }
  const only = (kind: FaultAction['kind']) => manifestsOf(planFault(config, action(kind), { id: 'Run_42' }).steps);
  const [kill] = only('kill-broker');
  assert.deepEqual([kill.kind, kill.metadata.name, kill.spec.action, kill.spec.gracePeriod], ['PodChaos', 'zeroloss-kill-broker-run-42', 'pod-kill', 0]);
  const partition = only('partition');
  assert.deepEqual(partition.map((m) => [m.metadata.name, m.spec.action, m.spec.direction, m.spec.target]), [
    ['zeroloss-partition-run-42-broker-a-1', 'partition', 'both', { mode: 'all', selector: { namespaces: ['rocketmq'], labelSelectors: { app: 'rocketmq', broker: 'broker-a', brokerId: '1' } } }],
    ['zeroloss-partition-run-42-broker-b-0', 'partition', 'both', { mode: 'all', selector: { namespaces: ['rocketmq'], labelSelectors: { app: 'rocketmq', broker: 'broker-b', brokerId: '0' } } }],
  ]);
  assert.deepEqual(only('delay')[0].spec.delay, { latency: '200ms', jitter: '50ms' });
  assert.deepEqual(only('loss')[0].spec.loss, { loss: '12.5' });
  const [io] = only('slow-disk');
  assert.deepEqual([io.kind, io.spec.action, io.spec.delay, io.spec.percent, io.spec.volumePath], ['IOChaos', 'latency', '100ms', 100, '/data/broker-a-0/store']);
  assert.match(refusal(() => planFault(config, action('cordon'), { id: 'r1' })), /the chaos-mesh executor cannot cordon: .*use the kubernetes executor/);
});

test('fault executors - chaos-mesh: the CRD check itself finds what breaks the rules', () => {
  const [good] = manifestsOf(planFault(parseExecutorConfig(CHAOS_MESH), action('delay'), { id: 'r1' }).steps);
  const bad = structuredClone(good);
  delete bad.spec.mode;
  Object.assign(bad.spec, { direction: 'sideways', durration: '1m', target: { selector: {} } });
  bad.spec.delay = { jitter: '50' };
  bad.metadata.name = 'Zeroloss_Delay';
  assert.deepEqual(crdProblems(bad).sort(), [
    'metadata.name Zeroloss_Delay is not a DNS-1123 label',
    'spec.delay.jitter 50 does not match /^[0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h)$/',
    'spec.delay.latency is required',
    'spec.direction sideways is not one of to, from, both',
    'spec.durration is not in the schema',
    'spec.mode is required',
    'spec.target.mode is required',
  ]);
});

test('fault executors - chaos-mesh: object names are DNS-1123 labels of at most 63 characters, distinct for long ids', () => {
  const long = 'Drill Run #' + 'x'.repeat(80);
  const names = [chaosObjectName('partition', `${long}-1`, 'broker-a/1'), chaosObjectName('partition', `${long}-2`, 'broker-a/1'), chaosObjectName('kill-broker', 'r1')];
  for (const name of names) assert.ok(name.length <= 63 && DNS_LABEL.test(name), name);
  assert.notEqual(names[0], names[1]);
  assert.equal(names[2], 'zeroloss-kill-broker-r1');
});

test('fault executors - chaos-mesh: labels that cannot tell the broker from a peer, or are no label value, are refused', () => {
  const sameLabels = parseExecutorConfig(JSON.stringify({ ...JSON.parse(CHAOS_MESH), podLabels: { app: 'rocketmq', broker: '{broker}' } }));
  assert.match(refusal(() => planFault(sameLabels, { kind: 'partition', broker: A0, peers: [A1] }, { id: 'r1' })), /podLabels give it and its peer broker-a\/1 the same labels \(app=rocketmq,broker=broker-a\); add a label that tells them apart/);
  const badValue = parseExecutorConfig(JSON.stringify({ ...JSON.parse(CHAOS_MESH), podLabels: { addr: '{addr}' } }));
  assert.match(refusal(() => planFault(badValue, action('kill-broker'), { id: 'r1' })), /podLabels\.addr "\{addr\}" renders "10\.0\.0\.5:10911": a label value is letters, digits/);
});

// ---------------------------------------------------------------------------------------------
// kubectl, faked
// ---------------------------------------------------------------------------------------------

/** An environment whose PATH finds the fake kubectl first, and where its calls are logged. */
function fakeKubectl(t: TestContext, extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv; calls: () => { argv: string[]; stdin: string }[] } {
  const log = path.join(tempDir(t), 'kubectl.log');
  const env = { ...process.env, PATH: `${FAKE_KUBECTL_DIR}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_KUBECTL_LOG: log, ...extra };
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : []);
  return { env, calls };
}

test('fault executors - the fake kubectl is an executable file', () => {
  fs.accessSync(path.join(FAKE_KUBECTL_DIR, 'kubectl'), fs.constants.X_OK);
});

test('fault executors - kubernetes: kill, wait and cordon call kubectl with exactly these arguments', async (t) => {
  const config = parseExecutorConfig(KUBERNETES);
  const selector = 'app=rocketmq,broker=broker-a,brokerId=0';
  const { env, calls } = fakeKubectl(t, { FAKE_KUBECTL_STDOUT: 'node-7' });
  const kill = planFault(config, action('kill-broker'), { id: 'r1' });
  const start = planFault(config, action('start-broker'), { id: 'r1' });
  const cordon = planFault(config, action('cordon'), { id: 'r1' });
  assert.deepEqual([kill.heal, start.heal], [[], []]);
  await runSteps([...kill.steps, ...start.steps, ...cordon.steps, ...cordon.heal], { timeoutMs: 5000, env });
  assert.deepEqual(calls(), [
    { argv: ['--context', 'prod', '-n', 'rocketmq', 'delete', 'pod', '-l', selector, '--grace-period=0', '--force', '--wait=false'], stdin: '' },
    // kubectl's own timeout is 2 s short of the step's, so its message arrives before the step is killed.
    { argv: ['--context', 'prod', '-n', 'rocketmq', 'wait', '--for=condition=Ready', 'pod', '-l', selector, '--timeout=28s'], stdin: '' },
    { argv: ['--context', 'prod', '-n', 'rocketmq', 'get', 'pod', '-l', selector, '-o', 'jsonpath={.items[0].spec.nodeName}'], stdin: '' },
    { argv: ['--context', 'prod', 'label', 'node', 'node-7', 'zeroloss-cordon=zeroloss-cordon-r1', '--overwrite'], stdin: '' },
    { argv: ['--context', 'prod', 'cordon', 'node-7'], stdin: '' },
    // The heal finds the node by its label: the one cordoned, even if the pod has moved since.
    { argv: ['--context', 'prod', 'uncordon', '-l', 'zeroloss-cordon=zeroloss-cordon-r1'], stdin: '' },
    { argv: ['--context', 'prod', 'label', 'node', '-l', 'zeroloss-cordon=zeroloss-cordon-r1', 'zeroloss-cordon-'], stdin: '' },
  ]);
  for (const kind of ['partition', 'delay', 'loss', 'slow-disk'] as const) {
    assert.match(refusal(() => planFault(config, action(kind), { id: 'r1' })), new RegExp(`the kubernetes executor cannot ${kind}: .*use the chaos-mesh executor`));
  }
});

test('fault executors - kubernetes: a pod on no node fails the cordon; a selector value cannot change the selector', async (t) => {
  const config = parseExecutorConfig(KUBERNETES);
  const { env, calls } = fakeKubectl(t);
  const error = await rejection(runSteps(planFault(config, action('cordon'), { id: 'r1' }).steps, { timeoutMs: 5000, env }));
  assert.match(error.message, /exited with code 1 .*last output:\nno scheduled pod matches -l app=rocketmq,broker=broker-a,brokerId=0 in namespace rocketmq$/s);
  assert.equal(calls().length, 1, 'only the get ran');
  const sneaky = { ...A0, brokerName: 'broker-a,app!=rocketmq' };
  assert.match(refusal(() => planFault(config, { kind: 'kill-broker', broker: sneaky }, { id: 'r1' })), /\{broker\} is "broker-a,app!=rocketmq", which a label selector cannot hold/);
});

test('fault executors - chaos-mesh: apply gets the manifest on stdin, delete heals, start waits on the pod labels', async (t) => {
  const config = parseExecutorConfig(JSON.stringify({ ...JSON.parse(CHAOS_MESH), kubectl: 'kubectl', context: 'lab', timeoutMs: 10_000 }));
  const { env, calls } = fakeKubectl(t);
  const partition = planFault(config, action('partition'), { id: 'r7' });
  const start = planFault(config, action('start-broker'), { id: 'r7' });
  await runSteps([...partition.steps, ...partition.heal, ...start.steps], { timeoutMs: 5000, env });
  const logged = calls();
  assert.deepEqual(logged.map((c) => c.argv), [
    ['--context', 'lab', '-n', 'chaos-testing', 'apply', '-f', '-'],
    ['--context', 'lab', '-n', 'chaos-testing', 'apply', '-f', '-'],
    ['--context', 'lab', '-n', 'chaos-testing', 'delete', 'networkchaos.chaos-mesh.org', 'zeroloss-partition-r7-broker-a-1', 'zeroloss-partition-r7-broker-b-0', '--ignore-not-found'],
    ['--context', 'lab', '-n', 'rocketmq', 'wait', '--for=condition=Ready', 'pod', '-l', 'app=rocketmq,broker=broker-a,brokerId=0', '--timeout=8s'],
  ]);
  assert.deepEqual(logged.slice(0, 2).map((c) => c.stdin), partition.steps.map((s) => s.stdin), 'the manifests reach kubectl byte for byte');
  assert.deepEqual(logged.slice(0, 2).map((c) => JSON.parse(c.stdin).kind), ['NetworkChaos', 'NetworkChaos']);
  assert.equal(logged[3].stdin, '');
});

test('fault executors - chaos-mesh: an apply the API server refuses rejects with its message', async (t) => {
  const denied = 'Error from server (Forbidden): error when creating "STDIN": admission webhook "vauth.kb.io" denied the request: namespace rocketmq is not allowed for chaos';
  const { env } = fakeKubectl(t, { FAKE_KUBECTL_EXIT: '1', FAKE_KUBECTL_STDERR: `${denied}\n` });
  const plan = planFault(parseExecutorConfig(CHAOS_MESH), action('delay'), { id: 'r1' });
  const error = await rejection(runSteps(plan.steps, { timeoutMs: 5000, env }));
  assert.match(error.message, /^step 1 of 1 "delay broker-a\/0's packets by 200 ms ± 50 ms: NetworkChaos delay zeroloss-delay-r1" \(kubectl -n chaos-testing apply -f -\) exited with code 1/);
  assert.ok(error.message.endsWith(denied), error.message);
  assert.equal(error.output?.stderr, `${denied}\n`);
});

// ---------------------------------------------------------------------------------------------
// Dry-run
// ---------------------------------------------------------------------------------------------

test('fault executors - a dry-run prints every command quoted and every manifest in full, and runs nothing', (t) => {
  const { calls } = fakeKubectl(t);
  const chaos = parseExecutorConfig(CHAOS_MESH);
  const partition = planFault(chaos, action('partition'), { id: 'r1' });
  const text = describeDryRun(partition);
  assert.ok(text.startsWith('# partition: 2 steps; heal: 1 step\n# 1. cut broker-a/0 off from broker-a/1, broker-b/0, both directions: NetworkChaos partition from broker-a/1 zeroloss-partition-r1-broker-a-1\nkubectl -n chaos-testing apply -f - <<\'EOF\'\n{\n  "apiVersion": "chaos-mesh.org/v1alpha1",\n'), text);
  for (const step of partition.steps) assert.ok(text.includes(`<<'EOF'\n${step.stdin}EOF\n`), 'the manifest in full');
  assert.ok(text.endsWith('# heal:\n# heal 1. undo: delete zeroloss-partition-r1-broker-a-1, zeroloss-partition-r1-broker-b-0\nkubectl -n chaos-testing delete networkchaos.chaos-mesh.org zeroloss-partition-r1-broker-a-1 zeroloss-partition-r1-broker-b-0 --ignore-not-found\n'), text);

  const command = planFault(parseExecutorConfig(COMMAND), action('kill-broker'), { id: 'r1' });
  assert.equal(describeDryRun(command), [
    '# kill-broker: 1 step; heal: 0 steps',
    '# 1. kill broker-a/0 (10.0.0.5:10911) without grace',
    `/bin/sh -c 'ssh '\\''a0.example.com'\\'' sudo kill -9 '\\''4242'\\'''`,
    '# heal: nothing to undo',
    '',
  ].join('\n'));

  const kubernetes = parseExecutorConfig(KUBERNETES);
  for (const config of [chaos, kubernetes, parseExecutorConfig(COMMAND)]) {
    for (const kind of supportedActions(config)) describeDryRun(planFault(config, action(kind), { id: 'r1' }));
  }
  assert.deepEqual(calls(), [], 'planning and printing called no kubectl');
});

test('fault executors - a dry-run is a script that does exactly what runSteps does', async (t) => {
  const config = parseExecutorConfig(KUBERNETES);
  const plan = planFault(config, action('cordon'), { id: 'r1' });
  const viaRunSteps = fakeKubectl(t, { FAKE_KUBECTL_STDOUT: 'node-7' });
  await runSteps([...plan.steps, ...plan.heal], { timeoutMs: 5000, env: viaRunSteps.env });
  const viaScript = fakeKubectl(t, { FAKE_KUBECTL_STDOUT: 'node-7' });
  await runSteps([{ describe: 'the dry-run', argv: ['/bin/sh', '-e', '-c', describeDryRun(plan)] }], { timeoutMs: 5000, env: viaScript.env });
  assert.equal(viaScript.calls().length, 5);
  assert.deepEqual(viaScript.calls(), viaRunSteps.calls());

  const chaos = planFault(parseExecutorConfig(CHAOS_MESH), action('slow-disk'), { id: 'r1' });
  const applied = fakeKubectl(t);
  await runSteps([{ describe: 'the dry-run', argv: ['/bin/sh', '-e', '-c', describeDryRun(chaos)] }], { timeoutMs: 5000, env: applied.env });
  assert.deepEqual(applied.calls().map((c) => c.stdin), [chaos.steps[0].stdin, ''], 'the here-document is the manifest, byte for byte');
});
