/**
 * A crash drill against a RocketMQ cluster Zeroloss did not start (issue 18): the same traffic runner,
 * consumers, loss ledger, prediction and judge as an embedded drill, with the fault injected by a
 * fault executor (server/external/fault-executors.ts: shell commands, kubectl or Chaos Mesh) and the
 * settings read from the cluster itself. Run by `zeroloss drill --target external` and by the External page (external-service.ts).
 *
 * Two of the catalog's scenarios so far:
 * - process-crash: the master of one group is killed with no grace while producers send and consumers
 *   consume; it comes back by the executor's start-broker step, or by itself (systemd, a StatefulSet);
 * - producer-network-flap: the traffic runners reach that master through a fault proxy in this
 *   process (the client-port proxy of the embedded drills), which drops and resets their connections
 *   in the plan's bursts; nothing on the cluster is touched, so no executor is needed.
 * Then the consumers drain and every message is counted.
 *
 * What it never does: change the cluster's settings (they are what is judged), or leave a fault
 * applied without saying so (every step's heal runs at the end, and one that fails is reported).
 */
import { ConsumerFleet } from '../traffic/consumer-fleet';
import { SupervisedChild } from '../cluster/child-process';
import { LossLedger, judge, type AnomalyRow } from '../drills/loss-ledger';
import { drainConsumers } from '../drills/drain';
import { routeQueues } from '../drills/group-caught-up';
import { drillSpec } from '../drills/catalog';
import { describePlan, freshSeed, planFor } from '../drills/drill-plan';
import { bounded, flapLink, sleep, waitFor } from '../drills/drill-steps';
import { ClientPortProxy } from '../cluster/client-port-proxy';
import { splitRate } from '../drills/limits';
import type { DrillEventKind, DrillId, DrillPrediction, DrillRunInput, DrillRunSettings, DrillTrafficSettings, LedgerSummary, Verdict } from '../drills/types';
import type { DrillResult } from '../drills/reports';
import { producerSettingsOf } from '../../broker/config/broker-config';
import { MASTER_ID } from '../../broker/protocol/codes';
import { Producer } from '../../broker/client/producer';
import type { ParentToTraffic, TrafficConfig, TrafficToParent } from '../../broker/ipc';
import { isAclRefusal, sessionCredentialsEnvironment, type SessionCredentials } from '../../broker/acl/acl-signature';
import { outcomeOfResult } from '../traffic/traffic-loop';
import { ExternalCluster, type ExternalBroker, type ExternalClusterView } from './external-cluster';
import { describeDryRun, planFault, runSteps, supportedActions, type ExecStep, type FaultExecutorConfig, type PlannedFault } from './fault-executors';

/** The scenarios an external target runs (a subset of the catalog's, by its ids). */
export const EXTERNAL_SCENARIOS = ['process-crash', 'producer-network-flap'] as const;
export type ExternalScenario = (typeof EXTERNAL_SCENARIOS)[number];

/** How long a killed broker may take to be back in the route and answering before the run fails. */
const BROKER_BACK_TIMEOUT_MS = 120_000;

export interface ExternalDrillOptions {
  namesrvAddrs: string[];
  /** how the cluster is faulted: required by process-crash; producer-network-flap faults its own proxy */
  executor?: FaultExecutorConfig;
  scenario: ExternalScenario;
  /** the group whose master the fault hits; default the first by name */
  brokerName?: string;
  /** the ACL account to sign every request with (admin requests, the traffic runners', the consumers'); never recorded */
  credentials?: SessionCredentials;
  /** an existing topic to send to; default a fresh one, created on every master */
  topic?: string;
  queueNums: number;
  /** traffic runner processes, the rate split between them (default 1) */
  producers?: number;
  traffic: Pick<DrillTrafficSettings, 'sendMode' | 'ackMode' | 'idempotent' | 'consumers'> & Partial<Pick<DrillTrafficSettings, 'rate' | 'durationSec'>>;
  seed?: number;
  /** where the consumers keep their local files */
  dataDir: string;
  /** print what would run (the cluster read, the fault's commands and manifests) and run nothing */
  dryRun: boolean;
  log(line: string): void;
  signal?: AbortSignal;
  /** records the run as it goes (the External page keeps it in the drill history; the CLI does not) */
  record?: ExternalRunRecord;
}

/** Where a run is recorded: once planned (not for a dry run), then each step of its timeline. */
export interface ExternalRunRecord {
  started(run: { runId: string; drillId: DrillId; settings: DrillRunSettings; input: DrillRunInput; prediction: DrillPrediction; startedAt: number }): Promise<void>;
  event(atMs: number, kind: DrillEventKind, message: string): void;
}

export interface ExternalDrillOutcome {
  result: DrillResult;
  /** the report's lines beside the ledger: cluster, victim, executor steps */
  notes: string[];
  /** set for a dry run: what would have run */
  dryRun?: string;
  /** the per-message anomaly rows (capped), for the record */
  anomalies: AnomalyRow[];
}

/** What was read, decided and applied; the report shows it. */
interface Context {
  runId: string;
  startedAt: number;
  cluster: ExternalCluster;
  view: ExternalClusterView;
  victim: ExternalBroker;
  settings: DrillRunSettings;
  prediction: DrillPrediction;
  topic: string;
  group: string;
  notes: string[];
  /** heal steps of faults applied and not yet healed, by what they undo */
  applied: Map<string, ExecStep[]>;
}

export async function runExternalDrill(options: ExternalDrillOptions): Promise<ExternalDrillOutcome> {
  const spec = drillSpec(options.scenario);
  const seed = options.seed ?? freshSeed();
  // Letters and digits, as every drill run's id (it names the topic and the consumer group too).
  const runId = `ext${Date.now().toString(36)}`;
  const cluster = new ExternalCluster(options.namesrvAddrs, options.credentials);
  try {
    options.log(`[external] reading the cluster from ${options.namesrvAddrs.join(';')} ...`);
    const view = await cluster.describe();
    const notes = describeCluster(view);
    for (const line of notes) options.log(`[external] ${line}`);
    const victim = chooseVictim(view, options.brokerName);
    // A drill judges only settings it read on every node of the group it faults.
    const silent = view.unreachable.filter((u) => u.brokerName === victim.brokerName);
    if (silent.length > 0) throw new Error(`not run: ${silent.map((u) => `${u.brokerName}/${u.brokerId} at ${u.addr} (${u.error})`).join(', ')} did not answer GET_BROKER_CONFIG, so its settings are unknown`);
    const traffic: DrillTrafficSettings = {
      ...options.traffic, rate: options.traffic.rate ?? spec.timing.rate, durationSec: options.traffic.durationSec ?? spec.timing.durationSec, bodySize: spec.workload.bodySize,
    };
    // Each runner's share of the rate, refused here (before any traffic) when a runner would send nothing.
    const rates = splitRate(traffic.rate, options.producers ?? 1);
    const settings: DrillRunSettings = { broker: victim.settings, traffic, slaveRunning: view.brokers.some((b) => b.brokerName === victim.brokerName && b.brokerId !== MASTER_ID) };
    const prediction = spec.predict(settings);
    const plan = planFor(spec, settings, seed);
    const fault = planExternalFault(options, victim, runId);
    notes.push(
      ...faultNotes(fault, victim, options.executor, plan.faultAtMs),
      `plan: ${describePlan(plan)}`,
      `predicted: ${prediction.text}`,
    );
    if (options.dryRun) {
      const text = [...notes, '', ...(fault.kind === 'kill'
        ? ['fault:', describeDryRun(fault.kill), ...(fault.start ? ['', 'recovery:', describeDryRun(fault.start)] : [])]
        : ['fault: no command runs; the proxy is in this process and the runners send through it'])].join('\n');
      return { result: resultOf({ runId, seed, spec, settings, prediction, status: 'done', verdict: null, reason: 'dry run: nothing ran', summary: null, startedAt: Date.now(), plan }), notes, dryRun: text, anomalies: [] };
    }
    const startedAt = Date.now();
    const { durationSec, rate, sendMode, ackMode, idempotent, consumers } = traffic;
    await options.record?.started({
      runId, drillId: spec.id, settings, prediction, startedAt,
      input: { drillId: spec.id, durationSec, rate, sendMode, ackMode, idempotent, consumers, seed },
    });
    for (const line of notes) options.record?.event(startedAt, 'note', line);
    const topic = options.topic ?? `ZL_EXT_${runId.replace(/[^A-Za-z0-9]/g, '_')}`;
    const ctx: Context = { runId, startedAt, cluster, view, victim, settings, prediction, topic, group: `zeroloss-ext-${runId}`, notes, applied: new Map() };
    return await drive(ctx, options, { fault, plan, seed, spec, rates });
  } finally {
    cluster.close();
  }
}

function describeCluster(view: ExternalClusterView): string[] {
  const lines = [`name server ${view.answeredBy} lists ${view.brokers.length + view.unreachable.length} broker(s)`];
  for (const b of view.brokers) {
    const s = b.settings;
    lines.push(`${b.cluster}/${b.brokerName}/${b.brokerId} at ${b.addr}: ${s.brokerRole}, ${s.flushDiskType}${b.config.aclEnable === 'true' ? ', aclEnable=true' : ''}${b.unreadable.length > 0 ? `; not understood: ${b.unreadable.map((u) => `${u.key}=${u.value} (${u.reason})`).join(', ')}` : ''}`);
  }
  for (const u of view.unreachable) lines.push(`${u.brokerName}/${u.brokerId} at ${u.addr}: GET_BROKER_CONFIG failed: ${u.error}`);
  return lines;
}

function chooseVictim(view: ExternalClusterView, brokerName: string | undefined): ExternalBroker {
  const masters = view.brokers.filter((b) => b.brokerId === MASTER_ID);
  if (masters.length === 0) {
    const why = view.unreachable.filter((u) => u.brokerId === MASTER_ID).map((u) => `${u.brokerName} at ${u.addr}: ${u.error}`);
    throw new Error(`no master (brokerId 0) answered GET_BROKER_CONFIG: nothing to drill${why.length > 0 ? ` (${why.join('; ')})` : ''}`);
  }
  if (brokerName === undefined) return masters[0]!;
  const victim = masters.find((b) => b.brokerName === brokerName);
  if (!victim) throw new Error(`--group ${brokerName}: no master of that group answered; the cluster's masters are ${masters.map((m) => m.brokerName).join(', ')}`);
  return victim;
}

/** How the run faults the cluster: an executor kills the master, or a proxy here flaps the producers' link to it. */
type ExternalFault = { kind: 'kill'; kill: PlannedFault; start: PlannedFault | undefined } | { kind: 'flap' };

function planExternalFault(options: ExternalDrillOptions, victim: ExternalBroker, runId: string): ExternalFault {
  if (options.scenario === 'producer-network-flap') return { kind: 'flap' };
  const executor = options.executor;
  if (!executor) throw new Error(`${options.scenario} needs a fault executor (--executors FILE): it kills a broker of the cluster`);
  return {
    kind: 'kill',
    kill: planFault(executor, { kind: 'kill-broker', broker: victim }, { id: runId }),
    start: supportedActions(executor).includes('start-broker') ? planFault(executor, { kind: 'start-broker', broker: victim }, { id: runId }) : undefined,
  };
}

function faultNotes(fault: ExternalFault, victim: ExternalBroker, executor: FaultExecutorConfig | undefined, faultAtMs: number): string[] {
  const when = `${Math.round(faultAtMs / 1000)} s into the traffic`;
  if (fault.kind === 'flap') {
    return [
      `fault: the traffic runners reach ${victim.brokerName}'s master ${victim.addr} through a fault proxy in this process, which drops and resets their connections in bursts ${when}`,
      'recovery: heal the link (the proxy passes everything again)',
    ];
  }
  return [
    `fault: kill ${victim.brokerName}'s master ${victim.addr} with the ${executor!.type} executor ${when}`,
    fault.start ? `recovery: the executor's start-broker step, then wait until the name server routes ${victim.brokerName} to ${victim.addr} again` : `recovery: wait until ${victim.brokerName}'s master is back by itself (its service manager or StatefulSet) at ${victim.addr}`,
  ];
}

interface Planned {
  fault: ExternalFault;
  plan: ReturnType<typeof planFor>;
  seed: number;
  spec: ReturnType<typeof drillSpec>;
  /** each traffic runner's msg/s */
  rates: number[];
}

async function drive(ctx: Context, options: ExternalDrillOptions, planned: Planned): Promise<ExternalDrillOutcome> {
  const { settings, topic } = ctx;
  const log = (line: string, kind: DrillEventKind = 'note') => {
    ctx.notes.push(line);
    options.log(`[external] ${line}`);
    options.record?.event(Date.now(), kind, line);
  };
  const signal = options.signal ?? new AbortController().signal;
  const ledger = new LossLedger(ctx.startedAt);
  // producer-network-flap: the runners' link to the master, through a proxy of this process.
  const link = planned.fault.kind === 'flap' ? new ClientPortProxy((_kind, message) => log(message)) : undefined;
  const masters = ctx.view.brokers.filter((b) => b.brokerId === MASTER_ID);
  const namesrvAddr = ctx.cluster.namesrvAddrs.join(';');
  const consumers = new ConsumerFleet(options.dataDir, () => namesrvAddr, {
    events: (events) => ledger.addConsumeEvents(events.filter((e) => e.topic === topic)),
    lifecycle: (_kind, message) => options.log(`[external] consumers: ${message}`),
  }, () => settings.broker.maxReconsumeTimes);
  // Several runners feed one ledger; each is a producer of its own, with its own sequence streams.
  const rates = planned.rates;
  let trafficCrash: string | undefined;
  // A send the cluster refuses for the account (ACL) after the first checked one stops the run before its fault.
  let refused: string | undefined;
  const runners = rates.map((rate, i) => {
    const producerId = `ext${i + 1}-${ctx.runId}`;
    const child: SupervisedChild<ParentToTraffic, TrafficToParent> = new SupervisedChild<ParentToTraffic, TrafficToParent>(`traffic runner ${i + 1}`, 'server/traffic/runner-main.ts', {
      message: (message) => {
        if (message.type === 'ready') child.markRunning();
        else if (message.type === 'outcomes') {
          refused ??= message.outcomes.find((o) => isAclRefusal(o.responseCode, o.error ?? ''))?.error;
          ledger.addOutcomes(message.outcomes);
        }
      },
      exit: (info) => { if (!info.expected) trafficCrash ??= `runner ${i + 1}: ${info.reason}`; },
    });
    return { child, producerId, rate };
  });
  const stopTraffic = () => Promise.all(runners.map((r) => r.child.stop({ type: 'stop' }, 8000)));
  let status: 'done' | 'failed' = 'done';
  let error: string | undefined;
  let verdict: Verdict | null = null;
  let reason = '';
  let summary: LedgerSummary | null = null;
  try {
    if (link) {
      await link.listen();
      link.setTarget(ctx.victim.addr);
    }
    if (options.topic === undefined) {
      await bounded(ctx.cluster.createTopic(topic, options.queueNums, masters), 15_000, 'creating the topic', signal);
      log(`topic ${topic} created with ${options.queueNums} queues on ${masters.map((m) => m.brokerName).join(', ')}`);
    }
    await waitFor(async () => ((await ctx.cluster.route(topic))?.queueDatas.length ?? 0) > 0, 15_000, `the name server routing ${topic}`, signal, 250);
    if (options.topic !== undefined) await startGroupAtTheEnd(ctx, log);
    const t = settings.traffic;
    consumers.start({
      count: t.consumers, ackMode: t.ackMode, idempotent: t.idempotent, processingMs: planned.spec.workload.processingMs, failRate: 0, topic, consumerGroup: ctx.group,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', persistConsumerOffsetIntervalMs: 500, rebalanceIntervalMs: 1000,
    }, options.credentials);
    await waitFor(() => consumers.views().length === t.consumers && consumers.views().every((v) => v.state === 'running'), 30_000, 'the consumers starting', signal);
    await bounded(firstCheckedSend(ctx, ledger, namesrvAddr, options.credentials, log), 15_000, 'the first checked send', signal);
    for (const [i, r] of runners.entries()) {
      ledger.addProducer(r.producerId);
      const config: TrafficConfig = {
        namesrvAddr, topic, producerGroup: `zeroloss-ext-producer-${ctx.runId}`, producerId: r.producerId, rate: r.rate, bodySize: t.bodySize, sendMode: t.sendMode, count: 0,
        ...producerSettingsOf(settings.broker), bodySeed: planned.plan.trafficSeed + i, ...(link ? { brokerAddressMap: link.addressMap() } : {}),
      };
      r.child.start({ ZL_TRAFFIC: JSON.stringify(config), ...sessionCredentialsEnvironment(options.credentials) });
    }
    await waitFor(() => runners.every((r) => r.child.status.state === 'running') || trafficCrash !== undefined, 30_000, 'the traffic runners starting', signal);
    const trafficStartedAt = Date.now();
    const split = runners.length > 1 ? ` from ${runners.length} traffic runners (${rates.join(' + ')})` : '';
    log(`traffic: ${t.rate} msg/s${split}, ${t.sendMode} sends to ${topic} for ${t.durationSec} s; ${t.consumers} consumer(s), ${t.ackMode}`, 'traffic');
    await sleep(trafficStartedAt + planned.plan.faultAtMs - Date.now(), signal);
    if (refused) throw refusedTraffic(refused);
    ledger.markFault(Date.now());
    if (planned.fault.kind === 'flap') {
      log(`fault: flap the traffic runners' link to ${ctx.victim.brokerName}'s master at ${ctx.victim.addr}`, 'fault.start');
      const injectedAt = Date.now();
      await flapLink(link!, planned.plan.bursts, signal);
      await sleep(injectedAt + planned.plan.faultForMs - Date.now(), signal);
      link!.heal();
      log(`healed: the traffic runners' link to ${ctx.victim.brokerName}'s master passes everything again`, 'fault.end');
    } else {
      await killAndRecover(ctx, planned.fault, planned.plan.faultForMs, ledger, options, signal, log);
    }
    await sleep(trafficStartedAt + t.durationSec * 1000 - Date.now(), signal);
    await stopTraffic();
    if (trafficCrash) throw new Error(`a traffic runner crashed: ${trafficCrash}`);
    log('traffic stopped; draining', 'phase');
    await drainConsumers({
      ledger, members: () => consumers.views(), route: () => ctx.cluster.route(topic).catch(() => undefined), admin: ctx.cluster.admin, topic, group: ctx.group,
    }, { deadline: Date.now() + Math.min(120_000, Math.max(20_000, t.durationSec * 2000)), signal, note: log });
    const judged = judge(ledger.summarize().summary, ctx.prediction);
    verdict = judged.verdict;
    reason = judged.reason;
    log(`${verdict}: ${reason}`, 'verdict');
  } catch (caught) {
    status = 'failed';
    error = (signal.aborted ? (signal.reason as Error) : (caught as Error)).message;
    log(`failed: ${error}`, 'error');
  } finally {
    await stopTraffic().catch(() => {});
    await consumers.stop().catch(() => {});
    await healAll(ctx, options, log);
    await link?.close().catch(() => {});
  }
  const final = ledger.summarize();
  summary = final.summary;
  return {
    anomalies: final.anomalies,
    result: resultOf({ runId: ctx.runId, seed: planned.seed, spec: planned.spec, settings, prediction: ctx.prediction, status, verdict, reason, error, summary, startedAt: ctx.startedAt, plan: planned.plan }),
    notes: ctx.notes,
  };
}

/**
 * An existing topic holds messages of other runs and producers: the run's fresh consumer group gets
 * its offsets committed at each queue's end first, so it consumes only what is sent from now on
 * (RocketMQ hands a group with no offset the queue from 0 while the queue's first file is still there).
 */
async function startGroupAtTheEnd(ctx: Context, log: (line: string) => void): Promise<void> {
  let already = 0;
  for (const { brokerName, master, queueNums } of routeQueues(await ctx.cluster.route(ctx.topic))) {
    if (!master) throw new Error(`the route of ${ctx.topic} names no master of ${brokerName}`);
    for (let queueId = 0; queueId < queueNums; queueId++) {
      const end = await ctx.cluster.admin.maxOffset(master, ctx.topic, queueId);
      await ctx.cluster.admin.updateConsumerOffset(master, ctx.group, ctx.topic, queueId, end);
      already += end;
    }
  }
  log(`consumer group ${ctx.group} starts at the end of ${ctx.topic}: the ${already} message(s) already there are not this run's`);
}

/**
 * One checked (sync) send before the traffic, whatever the run's send mode: an account the cluster
 * refuses (ACL) stops the run here, before any fault, with the broker's reason, where an unchecked
 * traffic runner would never learn it. The message is the run's own (its producer is in the ledger)
 * and is counted like the others.
 */
async function firstCheckedSend(ctx: Context, ledger: LossLedger, namesrvAddr: string, credentials: SessionCredentials | undefined, log: (line: string) => void): Promise<void> {
  const producerId = `probe-${ctx.runId}`;
  ledger.addProducer(producerId);
  const producer = new Producer({ producerGroup: `zeroloss-ext-producer-${ctx.runId}`, producerId, namesrvAddr, ...(credentials ? { credentials } : {}) });
  const sentAtMs = Date.now();
  try {
    const r = await producer.send({ topic: ctx.topic, body: Buffer.from('zeroloss: the run\'s first checked send') });
    ledger.addOutcomes([outcomeOfResult(r, sentAtMs, Date.now() - sentAtMs)]);
    log(`first checked send: ${r.sendStatus} from ${r.brokerName}, so this account may write ${ctx.topic}`);
  } catch (error) {
    const failed = error as Error & { responseCode?: number };
    if (isAclRefusal(failed.responseCode, failed.message)) throw refusedTraffic(failed.message);
    throw new Error(`the first checked send to ${ctx.topic} failed, so nothing was drilled: ${failed.message}`);
  } finally {
    await producer.close().catch(() => {});
  }
}

function refusedTraffic(reason: string): Error {
  return new Error(`the cluster refused the traffic for this account, so nothing was drilled: ${reason}`);
}

/** process-crash: the executor kills the master; it comes back (by the executor's start step or by itself) and is verified. */
async function killAndRecover(ctx: Context, fault: Extract<ExternalFault, { kind: 'kill' }>, faultForMs: number, ledger: LossLedger, options: ExternalDrillOptions, signal: AbortSignal, log: (line: string, kind?: DrillEventKind) => void): Promise<void> {
  log(`fault: kill ${ctx.victim.brokerName}'s master at ${ctx.victim.addr}`, 'fault.start');
  await execute(ctx, `kill ${ctx.victim.brokerName}'s master`, fault.kill, options, signal, log);
  await sleep(faultForMs, signal);
  const recoveryStarted = Date.now();
  if (fault.start) await execute(ctx, `start ${ctx.victim.brokerName}'s master`, fault.start, options, signal, log);
  await waitFor(async () => (await ctx.cluster.masterAddr(ctx.victim.brokerName).catch(() => undefined)) === ctx.victim.addr
    && (await ctx.cluster.admin.getBrokerConfigProperties(ctx.victim.addr).then(() => true, () => false)), BROKER_BACK_TIMEOUT_MS, `${ctx.victim.brokerName}'s master back at ${ctx.victim.addr}`, signal, 250);
  // Offsets written after the restart are of a new incarnation of the log.
  ledger.newEpoch();
  log(`${ctx.victim.brokerName}'s master is back at ${ctx.victim.addr} and routed, ${Date.now() - recoveryStarted} ms after the recovery began`, 'fault.end');
  await verifyGroup(ctx, log);
}

/** Runs a planned fault's steps, registering its heal first: a step that fails half-way is still healed. */
async function execute(ctx: Context, what: string, fault: PlannedFault, options: ExternalDrillOptions, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  const executor = options.executor!;
  if (fault.heal.length > 0) ctx.applied.set(what, fault.heal);
  const t0 = Date.now();
  try {
    const outputs = await runSteps(fault.steps, { timeoutMs: executor.timeoutMs, signal });
    log(`${what}: ${outputs.map((o) => o.step.describe).join('; ')} (${Date.now() - t0} ms)`);
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
}

/** Heals every fault still applied; one whose heal fails is listed as still applied. Never throws. */
async function healAll(ctx: Context, options: ExternalDrillOptions, log: (line: string) => void): Promise<void> {
  // Only an executor's faults register heals, so there is an executor whenever this loop runs.
  for (const [what, heal] of ctx.applied) {
    try {
      await runSteps(heal, { timeoutMs: options.executor!.timeoutMs });
      log(`healed: ${what}`);
    } catch (error) {
      log(`STILL APPLIED: ${what}: its heal failed: ${(error as Error).message}`);
    }
  }
  ctx.applied.clear();
}


/** the keys a node may not have changed between the start and the verdict (the prediction reads them) */
const JUDGED_KEYS = ['flushDiskType', 'brokerRole', 'syncFlushTimeout', 'slaveTimeout'] as const;

/**
 * After the restart every replica of the group must run what the run started with: each is read
 * again (GET_BROKER_CONFIG), and one that does not answer or runs other values is named, and the run
 * is not judged.
 */
async function verifyGroup(ctx: Context, log: (line: string) => void): Promise<void> {
  const again = await ctx.cluster.describe();
  const problems: string[] = [];
  for (const before of ctx.view.brokers.filter((b) => b.brokerName === ctx.victim.brokerName)) {
    const now = again.brokers.find((b) => b.addr === before.addr);
    if (!now) {
      problems.push(`${before.addr} did not answer GET_BROKER_CONFIG`);
      continue;
    }
    const drift = JUDGED_KEYS.filter((k) => now.settings[k] !== before.settings[k]);
    if (drift.length > 0) problems.push(`${before.addr} runs ${drift.map((k) => `${k}=${String(now.settings[k])} (was ${String(before.settings[k])})`).join(', ')}`);
  }
  if (problems.length > 0) throw new Error(`not judged: after the restart ${problems.join('; ')}`);
  log(`verified after the restart: every replica of ${ctx.victim.brokerName} runs what it ran before (${JUDGED_KEYS.join(', ')})`);
}


function resultOf(r: {
  runId: string; seed: number; spec: ReturnType<typeof drillSpec>; settings: DrillRunSettings; prediction: DrillPrediction; plan: unknown;
  status: 'done' | 'failed'; verdict: Verdict | null; reason: string; error?: string; summary: LedgerSummary | null; startedAt: number;
}): DrillResult {
  const s = r.summary;
  return {
    runId: r.runId, scenario: r.spec.id, title: `${r.spec.title} (external cluster)`, seed: r.seed, status: r.status, verdict: r.verdict,
    verdictReason: r.status === 'done' ? r.reason : null, error: r.error ?? null, durationMs: Date.now() - r.startedAt,
    config: { ...r.settings.traffic, flushDiskType: r.settings.broker.flushDiskType, brokerRole: r.settings.broker.brokerRole },
    plan: r.plan, predicted: r.prediction.text,
    sent: s?.attempted, statuses: s?.acknowledged, consumed: s?.consumed, lostAcked: s?.lostAcked, lost: s?.lost, lostByStage: s?.lostByStage,
    duplicates: s?.duplicated, gaps: s?.gaps, unexpected: s?.unexpected, recoveryMs: s?.recovery.rtoMs, summary: s, anomalies: [],
  };
}
