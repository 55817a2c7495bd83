/**
 * The drill runner: one drill at a time on the control plane's cluster. A run takes over the traffic
 * runner and the consumer fleet (a fresh topic `Drill_<id>_<runId>` and consumer group per run, read
 * from the first offset, so the ledger is per run), starts the traffic, injects the fault at its
 * planned moment, recovers, stops the traffic, drains every consumer until nothing new arrives (bounded),
 * then judges with the loss ledger and records everything (recorder.ts).
 *
 * Every wait is bounded. A process that dies when the drill did not kill it ends the run 'failed'
 * with the reason; cleanup then restores what the drill changed (link faults, slow disk) and restarts
 * the master if it is down, so the control plane keeps serving.
 */
import { DEFAULT_TOPOLOGY, describeTopology } from '../cluster/topology';
import { SIMULATED_DRILLS } from '../sim/simulation';
import { randomBytes } from 'node:crypto';
import type { ControlPlane, ControlPlaneEvents } from '../control-plane';
import type { LiveSample } from '../live/types';
import { DRILLS, drillSpec, usesControllerMode, type DrillSpec } from './catalog';
import { RESTART_TIMEOUT_MS, bounded, injectFault, recoverFrom, shapeLinks, sleep, waitFor, type StepHost } from './drill-steps';
import { LossLedger, judge } from './loss-ledger';
import { drainConsumers } from './drain';
import { DrillRecorder } from './recorder';
import { describePlan, freshSeed, planFor, type DrillPlan } from './drill-plan';
import { TransactionTraffic } from '../traffic/transaction-traffic';
import { CONTROLLER_KEYS, settingInfo, type BrokerSettings, type BrokerSettingsPatch } from '../../broker/config/broker-config';
import { LAB_BUGS, LAB_BUG_NAMES } from '../../broker/lab-bugs';
import { PermName } from '../../broker/protocol/codes';
import type {
  CapabilityView, DrillCapability, DrillEventKind, DrillGetInput, DrillHistoryInput, DrillId, DrillPhase, DrillPrediction, DrillRerunInput, DrillRunDetail,
  DrillRunInput, DrillRunSettings, DrillRunStarted, DrillRunView, DrillSpecView, DrillStatus, LabBugView, LedgerCounts, Verdict,
} from './types';

export class DrillBusyError extends Error {}
export class DrillNotFoundError extends Error {}
export class DrillInputError extends Error {}
class DrillAborted extends Error {}

/** the transaction runner's local work between half message and commit: the window a crash lands in */
const TX_LOCAL_TRANSACTION_MS = 300;
const FLUSH_RECORD_MS = 1000;
const SAMPLES_KEPT = 4 * 60 * 15;
const COUNTS_CACHE_MS = 500;

interface Run {
  runId: string;
  spec: DrillSpec;
  input: DrillRunInput;
  settings: DrillRunSettings;
  prediction: DrillPrediction;
  /** everything random in the run, from its seed */
  plan: DrillPlan;
  /** broker settings the run applies for itself (its input's and the drill's own), restored after it */
  brokerPatch: BrokerSettingsPatch;
  /** transaction runners started so far (their producer ids are tx1-…, tx2-…) */
  txRunners: number;
  startedAt: number;
  topic: string;
  group: string;
  phase: DrillPhase;
  message: string;
  phaseSince: number;
  trafficStartedAt?: number;
  drainDeadline?: number;
  ledger: LossLedger;
  abort: AbortController;
  cancelRequested: boolean;
  /** subjects (broker, slave, traffic, consumers, transactions) whose exit the drill itself causes right now */
  expectExit: Set<string>;
  /** undo steps for what the fault changed (run in cleanup when recovery did not run) */
  undo: Map<string, () => Promise<void>>;
  samples: number;
  verdict?: Verdict;
  /** the ledger's counts, recomputed at most every COUNTS_CACHE_MS (the live stream asks every 250 ms) */
  counts?: { at: number; value: LedgerCounts };
}

export interface DrillOutcome {
  runId: string;
  status: 'done' | 'failed' | 'cancelled';
  verdict?: Verdict;
  verdictReason?: string;
  error?: string;
}

const CAPABILITY_LABELS: Record<DrillCapability, string> = {
  broker: 'master broker process',
  'power-loss': 'power cut in the broker (truncate to fdatasync\'d lengths)',
  slave: 'slave broker',
  promotion: 'slave promotion',
  'ha-link-fault': 'fault proxy on the HA link',
  'slow-disk': 'slow fdatasync (slowDiskDelayMs)',
  consumers: 'killable consumer processes',
  'traffic-runner': 'killable producer process',
  'producer-link-fault': 'fault proxy between producers and the broker',
  'transaction-producer': 'killable transaction producer',
  controller: 'controller mode (a controller process electing masters)',
};

/** settings a fault step itself changes during the run (slow-disk); the final check leaves them out */
const KEYS_A_FAULT_CHANGES = ['slowDiskDelayMs'] as const;

export class DrillRunner {
  private current: Run | undefined;
  private readonly recorder: DrillRecorder;
  private readonly finished = new Map<string, Promise<DrillOutcome>>();
  private orphansChecked: Promise<void>;
  /** the transaction runner of a transactional drill (one at a time, like the drill) */
  private readonly transactions: TransactionTraffic;

  constructor(readonly controlPlane: ControlPlane) {
    this.recorder = new DrillRecorder(controlPlane.prisma, (id) => drillSpec(id).title);
    this.transactions = new TransactionTraffic({
      events: (producerId, events) => this.current?.ledger.addTransactionEvents(producerId, events),
      exit: (info) => {
        const run = this.current;
        if (!run) return;
        this.event(run, 'process', `transaction runner ${info.reason}`, { expected: info.expected });
        if (!info.expected && !run.expectExit.has('transactions')) this.fail(run, `unexpected crash during the drill: transaction runner ${info.reason}`);
      },
    });
    this.orphansChecked = this.recorder.failOrphans().catch((error: Error) => console.error(`[drills] ${error.message}`));
  }

  // ---- catalog ----

  private capabilityViews(spec: DrillSpec): CapabilityView[] {
    const cp = this.controlPlane;
    const state = cp.state();
    const promoted = cp.classicPromotion !== undefined;
    // A diverged slave replicates nothing (broker/ha/ha-client.ts) until it is rebuilt.
    const replication = state.replication;
    const diverged = replication?.connectionState === 'DIVERGED'
      ? `the slave diverged from the master (${replication.divergence?.reason ?? 'see the Replication card'}): rebuild it first (the Replication card's Rebuild, or cluster.rebuildSlave)`
      : undefined;
    return spec.needs.map((id): CapabilityView => {
      const view = (available: boolean, reason?: string): CapabilityView => ({ id, label: CAPABILITY_LABELS[id], available, ...(available ? {} : { reason }) });
      switch (id) {
        case 'broker':
        case 'power-loss':
          if (promoted) return view(false, 'the group runs on the promoted slave since a failover: restart the control plane to get the original master back');
          return view(state.broker.state === 'running' || state.broker.state === 'stopped' || state.broker.state === 'crashed', `the master is ${state.broker.state}`);
        case 'slave':
          return view(cp.slaveRunning && !promoted && !diverged, promoted ? 'the slave was promoted to master' : diverged ?? 'no slave is running: start it (cluster.startSlave)');
        case 'promotion':
          return view(cp.slaveRunning && !promoted && !diverged, promoted ? 'the slave was already promoted' : diverged ?? 'no slave is running to promote');
        case 'ha-link-fault':
          return view(cp.slaveRunning, 'the HA link proxy exists only while a slave runs');
        case 'slow-disk':
        case 'consumers':
        case 'traffic-runner':
          return view(true);
        case 'producer-link-fault':
          if (promoted) return view(false, 'the client-port proxy fronts the original master; the group runs on the promoted slave');
          return view(cp.clientPort.address !== undefined, 'the client-port fault proxy is not listening');
        case 'transaction-producer':
        case 'controller':
          return view(true);
      }
    });
  }

  /**
   * Why `spec` cannot run on this cluster's shape, or undefined. A drill's fault plan and prediction
   * are written for one shape (its `topology`; one group of master + slave unless it names another):
   * on a second group the traffic would split and the prediction's rates be wrong, a third replica
   * would keep SYNC_MASTER acking through a partition the prediction expects to stall.
   */
  private topologyRefusal(spec: DrillSpec): string | undefined {
    const want = spec.topology ?? DEFAULT_TOPOLOGY;
    const { groups, replicas } = this.controlPlane.topology;
    if (this.controlPlane.controllerMode && !usesControllerMode(spec)) return 'this drill runs in classic mode (a master the lab chooses, promotion by hand); the cluster runs controller mode: set enableControllerMode to false on the Settings page';
    if (groups === want.groups && replicas === want.replicas) return undefined;
    return `this drill runs on ${describeTopology(want)}; this cluster runs ${describeTopology({ groups, replicas })}: set the topology to ${want.groups} × ${want.replicas} (the Topology card, or cluster.setTopology)`;
  }

  /** The broker settings a run applies for itself: the drill's own, then the input's (a re-run's configuration). */
  private brokerPatchFor(spec: DrillSpec, input: Partial<DrillRunInput>): BrokerSettingsPatch {
    return { ...(spec.brokerPatch ?? {}), ...(input.broker ?? {}) };
  }

  /** The settings a run of `spec` would run under now, with the input's overrides (the simulator's too). */
  settingsFor(spec: DrillSpec, input: Partial<DrillRunInput>): DrillRunSettings {
    const cp = this.controlPlane;
    const state = cp.state();
    return {
      // preview() validates the merge (cross-field rules included) and throws a ZodError when it breaks one.
      broker: cp.settings.preview(this.brokerPatchFor(spec, input)).settings,
      traffic: {
        // A transaction's half message is always a sync send (sendMessageInTransaction).
        sendMode: spec.workload.producer === 'transactional' ? 'sync' : input.sendMode ?? state.traffic.config?.sendMode ?? 'sync',
        ackMode: input.ackMode ?? cp.consumers.input?.ackMode ?? 'after-processing',
        idempotent: input.idempotent ?? cp.consumers.input?.idempotent ?? false,
        rate: input.rate ?? spec.timing.rate,
        durationSec: input.durationSec ?? spec.timing.durationSec,
        consumers: input.consumers ?? spec.workload.consumers,
        bodySize: spec.workload.bodySize,
      },
      slaveRunning: cp.slaveRunning,
    };
  }

  catalog(): DrillSpecView[] {
    return DRILLS.map((spec) => {
      const capabilities = this.capabilityViews(spec);
      const missing = capabilities.filter((c) => !c.available);
      const topology = this.topologyRefusal(spec);
      const waitingFor = spec.waitingFor ?? topology ?? (missing.length > 0 ? missing.map((c) => `${c.label}: ${c.reason}`).join('; ') : undefined);
      return {
        id: spec.id, title: spec.title, does: spec.does, proves: spec.proves, fault: spec.fault, recovery: spec.recovery,
        timing: spec.timing, relevantSettings: spec.relevantSettings, capabilities,
        runnable: !spec.waitingFor && !topology && missing.length === 0 && !this.current,
        ...(waitingFor ? { waitingFor } : {}),
        prediction: spec.predict(this.settingsFor(spec, {})),
        labBugs: labBugViews(spec.id),
        simulated: (SIMULATED_DRILLS as readonly string[]).includes(spec.id),
      };
    });
  }

  // ---- running ----

  /** Starts a drill; resolves with its run id once it is recorded. Refused while another runs. */
  async run(input: DrillRunInput): Promise<DrillRunStarted> {
    if (this.current) {
      const c = this.current;
      throw new DrillBusyError(`drill ${c.spec.id} (run ${c.runId}) is running (${c.phase}): wait for it to end or cancel it with drills.cancel`);
    }
    const spec = drillSpec(input.drillId);
    // The drill's producer and consumers are the Traffic page's: they must reach the cluster it crashes.
    const target = this.controlPlane.trafficTarget;
    if (target.kind === 'external') {
      throw new DrillInputError(`${spec.id} cannot run now: the Traffic page's target is the external cluster at ${target.namesrvAddrs.join(';')}; point it back at the embedded cluster first (or drill that cluster from the External page)`);
    }
    if (spec.waitingFor) throw new DrillInputError(`${spec.id} cannot run yet: it waits for ${spec.waitingFor}`);
    const topology = this.topologyRefusal(spec);
    if (topology) throw new DrillInputError(`${spec.id} cannot run now: ${topology}`);
    const missing = this.capabilityViews(spec).filter((c) => !c.available);
    if (missing.length > 0) throw new DrillInputError(`${spec.id} cannot run now: ${missing.map((c) => `${c.label}: ${c.reason}`).join('; ')}`);
    const runId = `d${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    let settings: DrillRunSettings;
    try {
      settings = this.settingsFor(spec, input);
    } catch (error) {
      throw new DrillInputError(`the settings of this run are invalid: ${(error as Error).message}`);
    }
    const seed = input.seed ?? freshSeed();
    // The record keeps the seed even when the caller gave none: the run can be repeated from it.
    input = { ...input, seed };
    const startedAt = Date.now();
    const run: Run = {
      runId, spec, input, settings, prediction: spec.predict(settings), startedAt,
      plan: planFor(spec, settings, seed), brokerPatch: this.brokerPatchFor(spec, input), txRunners: 0,
      topic: `Drill_${spec.id.replace(/-/g, '_')}_${runId}`,
      group: `drill-${runId}`,
      phase: 'starting', message: 'preparing the cluster', phaseSince: startedAt,
      ledger: new LossLedger(startedAt),
      abort: new AbortController(),
      cancelRequested: false,
      expectExit: new Set(),
      undo: new Map(),
      samples: 0,
    };
    this.current = run;
    try {
      await this.orphansChecked;
      await this.recorder.createRun({ runId, drillId: spec.id, settings, input, prediction: run.prediction, startedAt });
    } catch (error) {
      this.current = undefined;
      throw error;
    }
    this.finished.set(runId, this.execute(run));
    return { runId, drillId: spec.id };
  }

  /** Resolves when the run ends (the CLI and tests wait on it). */
  wait(runId: string): Promise<DrillOutcome> | undefined {
    return this.finished.get(runId);
  }

  status(): DrillStatus | null {
    const run = this.current;
    if (!run) return null;
    const now = Date.now();
    return {
      runId: run.runId, drillId: run.spec.id, title: run.spec.title, phase: run.phase, progress: this.progress(run, now), message: run.message,
      startedAt: run.startedAt, elapsedMs: now - run.startedAt, settings: run.settings, prediction: run.prediction, counts: this.counts(run, now),
      cancelRequested: run.cancelRequested, seed: run.plan.seed, ...(run.input.rerunOf ? { rerunOf: run.input.rerunOf } : {}),
      ...(run.input.labBug ? { labBug: run.input.labBug } : {}),
    };
  }

  cancel(runId?: string): { cancelled: boolean; runId: string | null } {
    const run = this.current;
    if (!run || (runId && run.runId !== runId) || run.phase === 'done' || run.phase === 'failed') return { cancelled: false, runId: run?.runId ?? null };
    run.cancelRequested = true;
    run.abort.abort(new DrillAborted('cancelled by the user (drills.cancel)'));
    return { cancelled: true, runId: run.runId };
  }

  history(input: DrillHistoryInput): Promise<DrillRunView[]> {
    return this.recorder.history(input);
  }

  async get(input: DrillGetInput): Promise<DrillRunDetail | null> {
    if (this.current?.runId === input.runId) await this.recorder.flush(input.runId);
    return this.recorder.get(input.runId, input.anomalyLimit);
  }

  private counts(run: Run, now: number): LedgerCounts {
    if (!run.counts || now - run.counts.at >= COUNTS_CACHE_MS) run.counts = { at: now, value: run.ledger.counts() };
    return run.counts.value;
  }

  private progress(run: Run, now: number): number {
    const durationMs = run.settings.traffic.durationSec * 1000;
    switch (run.phase) {
      case 'starting': return 0.02;
      case 'traffic':
      case 'fault':
      case 'recovering':
        return 0.05 + 0.75 * Math.min(1, (now - (run.trafficStartedAt ?? now)) / durationMs);
      case 'draining': {
        const total = (run.drainDeadline ?? now) - run.phaseSince;
        return 0.8 + 0.15 * Math.min(1, total > 0 ? (now - run.phaseSince) / total : 1);
      }
      case 'judging': return 0.97;
      default: return 1;
    }
  }

  private setPhase(run: Run, phase: DrillPhase, message: string): void {
    run.phase = phase;
    run.message = message;
    run.phaseSince = Date.now();
    this.event(run, 'phase', `${phase}: ${message}`, { phase });
  }

  private event(run: Run, kind: DrillEventKind, message: string, detail: unknown = {}): void {
    this.recorder.event(Date.now() - run.startedAt, kind, message, detail);
  }

  private fail(run: Run, reason: string): void {
    if (!run.abort.signal.aborted) run.abort.abort(new Error(reason));
  }

  /** Subscribes the ledger and the recorder to the control plane; returns the unsubscribe. */
  private attach(run: Run): () => void {
    const cp = this.controlPlane;
    const handlers: { [K in keyof ControlPlaneEvents]?: (...args: ControlPlaneEvents[K]) => void } = {
      outcomes: (outcomes) => run.ledger.addOutcomes(outcomes),
      consumeEvents: (events) => run.ledger.addConsumeEvents(events.filter((e) => e.topic === run.topic)),
      stage: (batch) => run.ledger.addStage(batch),
      powerCut: (cut) => {
        run.ledger.addPowerCut(cut);
        this.event(run, 'note', `power cut: ${cut.cut.reduce((n, c) => n + c.lostBytes, 0)} unflushed bytes dropped; durable up to commit-log offset ${cut.flushedOffset} of ${cut.maxOffset}`, cut);
      },
      tick: (sample: LiveSample) => {
        if (run.samples++ < SAMPLES_KEPT) this.recorder.sample(sample.t - run.startedAt, sample);
      },
      clusterEvent: (e) => {
        const kind: DrillEventKind = e.kind.startsWith('process.') ? 'process'
          : e.kind === 'settings.changed' ? 'setting'
            : e.kind.startsWith('traffic.') ? 'traffic'
              : e.kind.startsWith('consumer.') ? 'consumers'
                : e.kind === 'ha.promoted' ? 'recovery' : 'note';
        this.recorder.event(e.atMs - run.startedAt, kind, e.message, { kind: e.kind, subject: e.subject });
        // A restarted master or a promoted slave writes at offsets an earlier incarnation may have used.
        // So does a replica the controller elected.
        if ((e.kind === 'process.started' && e.subject === cp.firstReplica.subject) || e.kind === 'ha.promoted' || e.kind === 'controller.elected') run.ledger.newEpoch();
        if (e.kind === 'process.crashed' && !run.expectExit.has(e.subject)) this.fail(run, `unexpected crash during the drill: ${e.message}`);
      },
    };
    for (const [name, handler] of Object.entries(handlers)) cp.on(name as keyof ControlPlaneEvents, handler as never);
    const flusher = setInterval(() => void this.recorder.flush(run.runId), FLUSH_RECORD_MS);
    return () => {
      clearInterval(flusher);
      for (const [name, handler] of Object.entries(handlers)) cp.off(name as keyof ControlPlaneEvents, handler as never);
    };
  }

  private async execute(run: Run): Promise<DrillOutcome> {
    const detach = this.attach(run);
    const signal = run.abort.signal;
    let outcome: DrillOutcome;
    try {
      this.event(run, 'phase', `starting: ${run.spec.title}`, { prediction: run.prediction, settings: run.settings });
      this.event(run, 'note', `plan: ${describePlan(run.plan)}`, { plan: run.plan });
      await this.prepare(run, signal);
      await this.drive(run, signal);
      await this.drain(run, signal);
      // The fault may have restarted or promoted nodes: judge only if they still run this configuration.
      await this.verifyNodes(run, 'before judging', signal, KEYS_A_FAULT_CHANGES);
      this.setPhase(run, 'judging', 'comparing what producers were told with what consumers applied');
      const { summary, anomalies } = run.ledger.summarize();
      const judged = judge(summary, run.prediction);
      // Judged exactly like any other run; the verdict only names the bug it ran with.
      const { verdict } = judged;
      const reason = run.input.labBug ? `with deliberate bug ${run.input.labBug}: ${judged.reason}` : judged.reason;
      run.verdict = verdict;
      this.event(run, 'verdict', `${verdict}: ${reason}`, { verdict, lostAcked: summary.lostAcked, lostTotal: summary.lostTotal });
      this.setPhase(run, 'done', `${verdict}: ${reason}`);
      await this.cleanup(run, false);
      detach();
      await this.recorder.finish(run.runId, { status: 'done', verdict, verdictReason: reason, summary, anomalies });
      outcome = { runId: run.runId, status: 'done', verdict, verdictReason: reason };
    } catch (error) {
      const cancelled = run.cancelRequested;
      const reason = (signal.aborted ? (signal.reason as Error) : (error as Error)).message;
      run.phase = 'failed';
      run.message = reason;
      this.event(run, 'error', cancelled ? `cancelled: ${reason}` : `failed: ${reason}`);
      await this.cleanup(run, true);
      detach();
      const { summary, anomalies } = run.ledger.summarize();
      await this.recorder.finish(run.runId, { status: cancelled ? 'cancelled' : 'failed', error: reason, summary, anomalies }).catch((e: Error) => console.error(`[drills] ${e.message}`));
      outcome = { runId: run.runId, status: cancelled ? 'cancelled' : 'failed', error: reason };
    } finally {
      if (this.current === run) this.current = undefined;
    }
    return outcome;
  }

  private async prepare(run: Run, signal: AbortSignal): Promise<void> {
    const cp = this.controlPlane;
    if (cp.state().traffic.state === 'running' || cp.state().traffic.state === 'starting') {
      this.event(run, 'traffic', 'the traffic that ran before the drill was stopped: a drill owns the producer');
      await bounded(cp.stopTraffic(), 15_000, 'stopping the earlier traffic', signal);
    }
    if (cp.consumers.running) {
      this.event(run, 'consumers', 'the consumers that ran before the drill were stopped: a drill owns the consumer group');
      await bounded(cp.stopConsumers(), 15_000, 'stopping the earlier consumers', signal);
    }
    const healed = cp.healIsolatedReplicas();
    if (healed.length > 0) {
      this.event(run, 'note', `${healed.join(', ')} had been isolated by hand: reconnected, since a drill starts from a whole cluster and injects its own faults`);
      await bounded(cp.waitForFullSyncStateSets(), 30_000, 'every replica rejoining the SyncStateSet', signal);
    }
    if (cp.state().broker.state !== 'running') {
      run.message = 'starting the master';
      await bounded(cp.startBroker(), RESTART_TIMEOUT_MS, 'starting the master', signal);
    }
    // A controller-mode drill's patch restarts the whole cluster, which takes the bug with it: the bug first.
    if (usesControllerMode(run.spec)) await this.applyLabBug(run, signal);
    await this.applyBrokerPatch(run, signal);
    if (!usesControllerMode(run.spec)) await this.applyLabBug(run, signal);
    // The plan's link shapes (a cross-zone HA link for the replication drills), before any traffic.
    await shapeLinks(this.stepHost(run), run);
    await this.verifyNodes(run, 'before traffic', signal);
    // The run's own topic, created with defaultTopicQueueNums before anyone subscribes to it.
    await bounded(cp.createTopic({ topic: run.topic, queueNums: run.settings.broker.defaultTopicQueueNums, perm: PermName.PERM_READ | PermName.PERM_WRITE }), 10_000, 'creating the topic', signal);
    await waitFor(() => cp.listTopics().some((r) => r.topic === run.topic), 10_000, `the name server routing ${run.topic}`, signal);
    if (run.spec.workload.consumersStart !== 'after-recovery') await this.startConsumers(run, signal);
    await this.startProducer(run, signal);
  }

  /**
   * Reads what every running node runs (GET_BROKER_CONFIG) and compares it with the run's
   * configuration; records the nodes' settings with the run. A run whose nodes disagree is not
   * judged: it fails, naming the node, the key and both values.
   */
  private async verifyNodes(run: Run, when: string, signal: AbortSignal, except: readonly string[] = []): Promise<void> {
    run.message = `verifying the settings each node runs (${when})`;
    const keys = (Object.keys(run.settings.broker) as (keyof BrokerSettings)[]).filter((k) => !except.includes(k));
    const { nodes, mismatches } = await bounded(this.controlPlane.verifyNodeSettings(run.settings.broker, keys), 20_000, `reading each node's settings (${when})`, signal);
    const running = nodes.filter((n) => n.running);
    if (mismatches.length > 0) {
      this.event(run, 'setting', `nodes disagree with this run's configuration (${when}): ${mismatches.join('; ')}`, { when, nodes, mismatches });
      throw new Error(`not judged: the nodes do not run this run's configuration (${when}): ${mismatches.join('; ')}`);
    }
    this.event(run, 'setting', `verified ${when}: ${running.map((n) => `${n.node} ${n.running!.brokerRole} ${n.running!.flushDiskType}`).join(', ')} run this configuration`, { when, nodes });
  }

  /** Puts the run's own broker settings in force, and registers their restoration. */
  private async applyBrokerPatch(run: Run, signal: AbortSignal): Promise<void> {
    const cp = this.controlPlane;
    const current = cp.settings.get();
    const keys = (Object.keys(run.brokerPatch) as (keyof BrokerSettingsPatch)[]).filter((k) => run.brokerPatch[k] !== current[k]);
    if (keys.length === 0) return;
    const previous = Object.fromEntries(keys.map((k) => [k, current[k]])) as BrokerSettingsPatch;
    const patch = Object.fromEntries(keys.map((k) => [k, run.brokerPatch[k]])) as BrokerSettingsPatch;
    // A key of controller mode restarts the whole cluster (its keys are fixed for the life of a process).
    const restarts = keys.some((k) => (CONTROLLER_KEYS as readonly string[]).includes(k));
    run.undo.set('settings', async () => { await bounded(cp.updateSettings(previous), restarts ? RESTART_TIMEOUT_MS : 10_000, 'restoring the settings the drill changed'); });
    await bounded(cp.updateSettings(patch), restarts ? RESTART_TIMEOUT_MS : 10_000, 'applying the drill\'s settings', signal);
    if (cp.controllerMode) {
      // The drill starts from a group at rest: a master, and every slave caught up in its SyncStateSet.
      await bounded(cp.waitForMasters(), 30_000, 'the controller electing a master', signal);
      await bounded(cp.waitForFullSyncStateSets(), 30_000, 'every replica joining the SyncStateSet', signal);
      this.event(run, 'setting', `controller mode: ${cp.state().topology.groups.map((g) => `${g.brokerName} master ${g.master} at epoch ${g.controller?.masterEpoch}, SyncStateSet {${g.controller?.syncStateSet.join(', ')}}`).join('; ')}`);
    }
    this.event(run, 'setting', `for this run: ${keys.map((k) => `${k} ${String(patch[k])}`).join(', ')} (restored afterwards)`, { patch, previous });
  }

  /**
   * Switches the run's deliberate bug on (broker/lab-bugs.ts) for this run only: the control plane
   * restarts the broker node it lives in, the runners take it at their start. Undone with the run's
   * other undo steps (also after a failure or a cancel), restarting that node without it.
   */
  private async applyLabBug(run: Run, signal: AbortSignal): Promise<void> {
    const bug = run.input.labBug;
    const cp = this.controlPlane;
    if (!bug || cp.labBugs.includes(bug)) return;
    const previous = [...cp.labBugs];
    run.message = `switching on deliberate bug ${bug}`;
    run.undo.set('lab-bug', async () => { await bounded(cp.setLabBugs(previous), RESTART_TIMEOUT_MS, `switching deliberate bug ${bug} off`); });
    const restarted = await bounded(cp.setLabBugs([...previous, bug]), RESTART_TIMEOUT_MS, `switching deliberate bug ${bug} on`, signal);
    this.event(run, 'setting', `deliberate bug ${bug} on for this run (${LAB_BUGS[bug].process}: ${LAB_BUGS[bug].breaks})${restarted.length > 0 ? `; restarted ${restarted.join(', ')}` : ''}; off again afterwards`, { labBug: bug, restarted });
  }

  private async startConsumers(run: Run, signal: AbortSignal): Promise<void> {
    const t = run.settings.traffic;
    await bounded(this.controlPlane.startConsumers({
      count: t.consumers, ackMode: t.ackMode, idempotent: t.idempotent, processingMs: run.spec.workload.processingMs, failRate: 0,
      topic: run.topic, consumerGroup: run.group, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', persistConsumerOffsetIntervalMs: 500, rebalanceIntervalMs: 1000,
    }), 15_000, 'starting the consumers', signal);
    // A consumer subscribes at its start: it must be up before a fault takes the route away.
    await waitFor(() => this.controlPlane.consumers.views().every((v) => v.state === 'running'), 30_000, 'the consumers starting', signal);
    this.event(run, 'consumers', `${t.consumers} consumer(s) of ${run.group} on ${run.topic}, ${t.ackMode}${t.idempotent ? ', idempotent' : ''}, from the first offset`);
  }

  private async startProducer(run: Run, signal: AbortSignal): Promise<void> {
    const cp = this.controlPlane;
    const t = run.settings.traffic;
    if (run.spec.workload.producer === 'transactional') {
      run.txRunners++;
      const producerId = `tx${run.txRunners}-${run.runId}`;
      run.ledger.addProducer(producerId);
      await bounded(this.transactions.start({
        namesrvAddr: cp.namesrv.address, topic: run.topic, producerGroup: `drill-tx-${run.runId}`, producerId, rate: t.rate, bodySize: t.bodySize,
        seed: run.plan.trafficSeed, localTransactionMs: TX_LOCAL_TRANSACTION_MS, sendMsgTimeout: run.settings.broker.sendMsgTimeout,
      }), 40_000, 'starting the transaction runner', signal);
      this.event(run, 'traffic', `transaction runner ${producerId} of group drill-tx-${run.runId}: ${t.rate} tx/s, ${TX_LOCAL_TRANSACTION_MS} ms local transactions, seeded commit/rollback`);
      return;
    }
    // A drill that faults the producer's link sends through the client-port proxy.
    const viaClientProxy = run.spec.needs.includes('producer-link-fault');
    await bounded(cp.startTraffic({ rate: t.rate, bodySize: t.bodySize, sendMode: t.sendMode, count: 0, topic: run.topic, viaClientProxy, bodySeed: run.plan.trafficSeed }), 15_000, 'starting the traffic', signal);
    const producerId = cp.state().traffic.config?.producerId;
    if (producerId) run.ledger.addProducer(producerId);
    await waitFor(() => cp.state().traffic.state === 'running', 30_000, 'the traffic runner starting', signal);
  }

  /** Traffic, the fault at its planned moment, recovery, traffic to the end of the duration. */
  private async drive(run: Run, signal: AbortSignal): Promise<void> {
    const { spec } = run;
    const durationMs = run.settings.traffic.durationSec * 1000;
    run.trafficStartedAt = Date.now();
    const end = run.trafficStartedAt + durationMs;
    this.setPhase(run, 'traffic', `${run.settings.traffic.rate} msg/s, ${run.settings.traffic.sendMode} sends to ${run.topic}`);
    if (spec.inject) {
      await sleep(run.trafficStartedAt + run.plan.faultAtMs - Date.now(), signal);
      this.setPhase(run, 'fault', spec.fault);
      run.ledger.markFault(Date.now());
      this.event(run, 'fault.start', spec.fault, { fault: spec.inject });
      const injectedAt = Date.now();
      await injectFault(this.stepHost(run), run, spec.inject, signal);
      if (spec.then) {
        // The second fault, while the first still holds: one fault window on the timeline, so a note.
        await sleep(injectedAt + spec.then.afterMs - Date.now(), signal);
        this.event(run, 'note', `second fault: ${spec.then.fault}`, { fault: spec.then.inject });
        await injectFault(this.stepHost(run), run, spec.then.inject, signal);
      }
      await sleep(injectedAt + run.plan.faultForMs - Date.now(), signal);
      if (spec.recover) {
        this.setPhase(run, 'recovering', spec.recovery);
        const t0 = Date.now();
        for (const step of Array.isArray(spec.recover) ? spec.recover : [spec.recover]) await recoverFrom(this.stepHost(run), run, step, signal);
        this.event(run, 'fault.end', `recovered: ${spec.recovery} (${Date.now() - t0} ms)`, { recovery: spec.recover, ms: Date.now() - t0 });
        run.message = `recovered in ${Date.now() - t0} ms; traffic continues to the end of the run`;
      }
      // A durability drill reads what the broker kept: its consumers attach only now.
      if (spec.workload.consumersStart === 'after-recovery') await this.startConsumers(run, signal);
    }
    await sleep(end - Date.now(), signal);
    run.message = 'stopping the traffic';
    // A transaction runner keeps answering check-backs while the drill drains; it stops after the drain.
    if (spec.workload.producer === 'transactional') this.transactions.pause();
    else await bounded(this.controlPlane.stopTraffic(), 20_000, 'stopping the traffic', signal);
    this.event(run, 'traffic', 'traffic stopped');
  }

  /** What the fault and recovery steps (drill-steps.ts) may use of the runner, for one run. */
  private stepHost(run: Run): StepHost {
    return {
      controlPlane: this.controlPlane,
      transactions: this.transactions,
      event: (kind, message, detail) => this.event(run, kind, message, detail),
      startProducer: (signal) => this.startProducer(run, signal),
    };
  }

  /**
   * Runs a recorded run's drill again with the same seed and timing (and the rest of its broker
   * settings) under other settings; the record links the two runs.
   */
  async rerun(input: DrillRerunInput): Promise<DrillRunStarted> {
    const original = await this.recorder.get(input.runId, 0);
    if (!original) throw new DrillNotFoundError(`runId: no drill run ${input.runId} is recorded`);
    if (original.target) throw new DrillInputError(`runId: run ${input.runId} ran against the external cluster at ${original.target.namesrv}, whose settings Zeroloss does not change: run it again from the External page`);
    if (original.input.seed === undefined) throw new DrillInputError(`run ${input.runId} was recorded before runs kept their seed: it cannot be re-run with the same plan`);
    // The original's live broker settings and its controller mode (applied by a restart), then the changes asked for.
    const broker: BrokerSettingsPatch = Object.fromEntries(Object.entries(original.settings.broker)
      .filter(([k]) => settingInfo[k as keyof typeof settingInfo]?.live || settingInfo[k as keyof typeof settingInfo]?.group === 'controller')) as BrokerSettingsPatch;
    if (input.flushDiskType) broker.flushDiskType = input.flushDiskType;
    if (input.brokerRole) broker.brokerRole = input.brokerRole;
    const t = original.settings.traffic;
    return this.run({
      drillId: original.drillId, durationSec: t.durationSec, rate: t.rate, consumers: t.consumers,
      sendMode: input.sendMode ?? t.sendMode, ackMode: input.ackMode ?? t.ackMode, idempotent: input.idempotent ?? t.idempotent,
      seed: original.input.seed, broker, rerunOf: original.runId,
      // A run with a deliberate bug is re-run with it: the comparison is of settings, not of bugs.
      ...(original.input.labBug ? { labBug: original.input.labBug } : {}),
    });
  }

  /** Waits until the consumers have applied everything, or nothing new arrives for a while; bounded (drain.ts). */
  private async drain(run: Run, signal: AbortSignal): Promise<void> {
    const boundMs = Math.min(90_000, Math.max(20_000, run.settings.traffic.durationSec * 2000));
    this.setPhase(run, 'draining', 'waiting until every consumer has nothing more to apply');
    run.drainDeadline = Date.now() + boundMs;
    const cp = this.controlPlane;
    await drainConsumers({
      ledger: run.ledger, members: () => cp.state().consumers.members, route: () => cp.namesrv.routes.pickupTopicRouteData(run.topic),
      admin: cp.admin, topic: run.topic, group: run.group,
    }, { deadline: run.drainDeadline, signal, note: (message) => this.event(run, 'note', message), progress: (message) => { run.message = message; } });
    await bounded(this.controlPlane.stopConsumers(), 20_000, 'stopping the consumers');
    if (run.spec.workload.producer === 'transactional') await bounded(this.transactions.stop(), 20_000, 'stopping the transaction runner');
  }

  /** Restores what the drill changed; after a failure also stops its traffic and restarts a dead master. Never throws. */
  private async cleanup(run: Run, failed: boolean): Promise<void> {
    const cp = this.controlPlane;
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (error) {
        this.event(run, 'error', `cleanup: ${what}: ${(error as Error).message}`);
      }
    };
    for (const [key, undo] of run.undo) await attempt(`undo ${key}`, undo);
    run.undo.clear();
    if (failed) {
      await attempt('stopping the traffic', () => bounded(cp.stopTraffic(), 20_000, 'stopping the traffic'));
      await attempt('stopping the transaction runner', () => bounded(this.transactions.stop(), 20_000, 'stopping the transaction runner'));
      await attempt('stopping the consumers', () => bounded(cp.stopConsumers(), 20_000, 'stopping the consumers'));
      if (!cp.controllerMode && !cp.classicPromotion && cp.state().broker.state !== 'running') {
        await attempt('restarting the master', async () => {
          await waitFor(() => cp.state().broker.state !== 'stopping', 10_000, 'the master stopping', new AbortController().signal);
          await bounded(cp.startBroker(), RESTART_TIMEOUT_MS, 'restarting the master');
          this.event(run, 'recovery', 'the master was restarted after the failed drill');
        });
      }
    }
    run.expectExit.clear();
  }
}

/** Every deliberate bug a run may switch on, those this drill catches first (the Drills page's select). */
function labBugViews(drillId: DrillId): LabBugView[] {
  const views = LAB_BUG_NAMES.map((name): LabBugView => ({ name, process: LAB_BUGS[name].process, breaks: LAB_BUGS[name].breaks, caughtBy: LAB_BUGS[name].caughtBy }));
  return [...views.filter((v) => v.caughtBy === drillId), ...views.filter((v) => v.caughtBy !== drillId)];
}

export type { DrillId };
