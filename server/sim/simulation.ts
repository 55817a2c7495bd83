/**
 * The deterministic simulator: one drill of the catalog, run by the real broker, name server, client,
 * traffic, consumer and ledger code, in one process, on a simulated clock, network and disks
 * (broker/sim/), from one seed. The drill's plan (when the fault strikes, which consumer dies), its
 * prediction and its verdict are the real drill's (server/drills/); only the machine is simulated, so
 * every result is labelled simulated. The same seed gives the same run, event for event: the trace
 * and its hash say so (docs/simulation.md). The machine is sim-world.ts, the nodes sim-cluster.ts;
 * this file is the drill's timeline, as the drill runner's (server/drills/drill-runner.ts).
 */
import { BrokerSettingsSchema, defaultSettings, type BrokerSettings } from '../../broker/config/broker-config.js';
import type { LabBug } from '../../broker/lab-bugs.js';
import { drillSpec, type DrillSpec, type FaultStep, type RecoveryStep } from '../drills/catalog.js';
import { planFor, type DrillPlan } from '../drills/drill-plan.js';
import { LossLedger, judge } from '../drills/loss-ledger.js';
import type { DrillId, DrillPrediction, DrillRunSettings, LedgerSummary, Verdict } from '../drills/types.js';
import { SimCluster } from './sim-cluster.js';
import { BudgetExceeded, SimWorld } from './sim-world.js';

/** Drills the simulator runs; the others are refused with this list. */
export const SIMULATED_DRILLS = [
  'process-crash', 'power-loss', 'master-disk-loss', 'slave-down', 'partition-master-slave', 'slow-disk',
  'consumer-crash', 'producer-crash', 'producer-network-flap', 'power-loss-slow-disk',
] as const satisfies readonly DrillId[];
export type SimulatedDrillId = (typeof SIMULATED_DRILLS)[number];

export interface SimulationInput {
  drillId: SimulatedDrillId;
  settings: DrillRunSettings;
  seed: number;
  labBugs?: readonly LabBug[];
  /** keep every line of the trace (the hash is always computed) */
  keepTrace?: boolean;
  /** a run that takes more events stops with the verdict BUDGET */
  maxEvents?: number;
}

export interface SimulationResult {
  simulated: true;
  drillId: SimulatedDrillId;
  seed: number;
  verdict: Verdict | 'BUDGET';
  reason: string;
  prediction: DrillPrediction;
  summary: LedgerSummary;
  /** the recovery time as the ledger measured it, ms of simulated time (null: no failed send to recover from) */
  simulatedMs: number;
  events: number;
  traceHash: string;
  trace?: string[];
}

const DRAIN_QUIET_MS = 1000;
const DRAIN_QUIET_OUTSTANDING_MS = 8000;

/** One simulated run; `run()` once. */
class Simulation {
  private readonly world: SimWorld;
  private readonly ledger: LossLedger;
  private readonly spec: DrillSpec;
  private readonly plan: DrillPlan;
  private readonly prediction: DrillPrediction;
  private readonly cluster: SimCluster;

  constructor(private readonly input: SimulationInput) {
    this.world = new SimWorld(input.seed, input.keepTrace ?? false, input.maxEvents);
    this.spec = drillSpec(input.drillId);
    this.plan = planFor(this.spec, input.settings, input.seed);
    this.prediction = this.spec.predict(input.settings);
    this.ledger = new LossLedger(this.world.clock.nowMs());
    this.cluster = new SimCluster(this.world, this.ledger, this.spec, this.plan, input.settings, input.labBugs ?? []);
  }

  async run(): Promise<SimulationResult> {
    let outcome: { verdict: Verdict | 'BUDGET'; reason: string };
    try {
      await this.cluster.startCluster();
      if (this.spec.workload.consumersStart !== 'after-recovery') await this.cluster.startConsumers();
      await this.drive();
      this.world.log(`traffic stopped after ${this.cluster.producer?.traffic.attempted() ?? 0} sends`);
      await this.drain();
      this.cluster.stageFlush();
      outcome = judge(this.ledger.summarize().summary, this.prediction);
      const replication = this.cluster.replicationViolation();
      if (replication) outcome = { verdict: 'FAIL', reason: `replication: ${replication} (the drill's own verdict: ${outcome.verdict})` };
    } catch (error) {
      if (!(error instanceof BudgetExceeded)) throw error;
      outcome = { verdict: 'BUDGET', reason: `the run took more than ${this.world.maxEvents} events: stopped (replay seed ${this.input.seed} with --trace)` };
    }
    const { summary } = this.ledger.summarize();
    this.world.log(`verdict ${outcome.verdict}: ${outcome.reason}`);
    return {
      simulated: true,
      drillId: this.input.drillId,
      seed: this.input.seed,
      ...outcome,
      prediction: this.prediction,
      summary,
      simulatedMs: this.world.clock.monotonicMs(),
      events: this.world.clock.eventsRun,
      traceHash: this.world.traceHash(),
      ...(this.world.trace ? { trace: this.world.trace } : {}),
    };
  }

  private async drive(): Promise<void> {
    const { settings } = this.input;
    const started = this.world.clock.monotonicMs();
    await this.cluster.startProducer();
    const spec = this.spec;
    if (spec.inject) {
      await this.world.until(started + this.plan.faultAtMs);
      this.ledger.markFault(this.world.clock.nowMs());
      this.world.log(`fault: ${spec.fault}`);
      const injectedAt = this.world.clock.monotonicMs();
      await this.inject(spec.inject);
      if (spec.then) {
        await this.world.until(injectedAt + spec.then.afterMs);
        this.world.log(`second fault: ${spec.then.fault}`);
        await this.inject(spec.then.inject);
      }
      await this.world.until(injectedAt + this.plan.faultForMs);
      if (spec.recover) {
        this.world.log(`recovering: ${spec.recovery}`);
        for (const step of Array.isArray(spec.recover) ? spec.recover : [spec.recover]) await this.recover(step);
      }
      if (spec.workload.consumersStart === 'after-recovery') await this.cluster.startConsumers();
    }
    await this.world.until(started + settings.traffic.durationSec * 1000);
    await this.world.settle(this.cluster.producer!.traffic.stop(20_000));
  }

  /** Until every acknowledged message is applied and nothing new came for a second, or quiet too long. */
  private async drain(): Promise<void> {
    const boundMs = Math.min(90_000, Math.max(20_000, this.input.settings.traffic.durationSec * 2000));
    const deadline = this.world.clock.monotonicMs() + boundMs;
    let seen = -1;
    let lastChange = this.world.clock.monotonicMs();
    for (;;) {
      const now = this.world.clock.monotonicMs();
      const signature = this.ledger.consumerProgress();
      if (signature !== seen) {
        seen = signature;
        lastChange = now;
      }
      const outstanding = this.ledger.outstanding();
      if (outstanding === 0 && now - lastChange >= DRAIN_QUIET_MS) break;
      if (now - lastChange >= DRAIN_QUIET_OUTSTANDING_MS || now > deadline) {
        this.world.log(`drained with ${outstanding} message(s) unapplied`);
        break;
      }
      await this.world.until(now + 250);
    }
  }

  private async inject(step: FaultStep): Promise<void> {
    const master = this.cluster.replicas[0]!;
    switch (step.kind) {
      case 'kill-master':
        return this.cluster.killReplica(master);
      case 'power-loss':
        return this.cluster.powerLoss(master);
      case 'master-disk-loss':
        this.cluster.killReplica(master);
        master.disk.wipe();
        this.world.log(`${master.name}: store directory deleted`);
        return;
      case 'kill-slave':
        return this.cluster.killReplica(this.cluster.replicas[1]!);
      case 'blackhole-ha-link':
        this.world.network.partition(this.cluster.replicas[0]!.name, this.cluster.replicas[1]!.name);
        this.world.log('replication link cut');
        return;
      case 'slow-disk':
        this.cluster.slowDisk(master, this.input.settings.broker.syncFlushTimeout + step.marginMs);
        return;
      case 'slow-disk-power-loss':
        // The power comes back with a healthy disk: a restarted master runs without the delay.
        await this.inject({ kind: 'slow-disk', marginMs: step.marginMs });
        await this.world.until(this.world.clock.monotonicMs() + step.slowForMs);
        if (step.pauseConsumers) {
          for (const consumer of this.cluster.consumers) consumer?.freeze?.();
          this.world.log('consumers frozen (SIGSTOP) through the power cut and the restart');
        }
        await this.cluster.powerLoss(master);
        this.cluster.slowDisk(master, 0);
        return;
      case 'kill-consumer':
        this.cluster.consumers[this.plan.consumerIndex]?.stop();
        this.cluster.consumers[this.plan.consumerIndex] = undefined;
        return;
      case 'kill-producer':
        this.cluster.producer?.stop();
        return;
      case 'flap-producer-link':
        return this.flap();
      default:
        throw new Error(`the simulator does not model the fault ${step.kind}`);
    }
  }

  private async recover(step: RecoveryStep): Promise<void> {
    switch (step.kind) {
      case 'restart-master':
        await this.cluster.startReplica(this.cluster.replicas[0]!);
        this.ledger.newEpoch(this.world.clock.nowMs());
        return;
      case 'restart-slave':
        return this.cluster.startReplica(this.cluster.replicas[1]!);
      case 'promote-slave': {
        const slave = this.cluster.replicas[1]!;
        const promoted = await this.world.settle(slave.broker!.promote('ASYNC_MASTER'));
        this.ledger.newEpoch(this.world.clock.nowMs());
        this.world.log(`${slave.name} promoted to ASYNC_MASTER at commit-log offset ${promoted.promotedAtOffset}`);
        await this.cluster.routedTo(slave);
        return;
      }
      case 'heal-ha-link':
        this.world.network.heal(this.cluster.replicas[0]!.name, this.cluster.replicas[1]!.name);
        this.world.log('replication link healed');
        return;
      case 'restore-disk':
        this.cluster.slowDisk(this.cluster.replicas[0]!, 0);
        return;
      case 'restart-consumer':
        this.cluster.consumers[this.plan.consumerIndex] = await this.cluster.startConsumer(this.plan.consumerIndex);
        return;
      case 'restart-producer':
        return this.cluster.startProducer();
      case 'resume-consumers':
        await this.world.until(this.world.clock.monotonicMs() + step.afterMs);
        for (const consumer of this.cluster.consumers) consumer?.thaw?.();
        this.world.log(`consumers thawed (SIGCONT) ${step.afterMs} ms after the restart`);
        return;
      case 'heal-producer-link':
        for (const replica of this.cluster.replicas) this.world.network.heal(this.cluster.producerName(), replica.name);
        this.world.log('producer link healed');
        return;
      default:
        throw new Error(`the simulator does not model the recovery ${step.kind}`);
    }
  }

  private async flap(): Promise<void> {
    const producer = this.cluster.producerName();
    const master = this.cluster.replicas[0]!.name;
    const start = this.world.clock.monotonicMs();
    for (const burst of this.plan.bursts) {
      await this.world.until(start + burst.atMs);
      if (burst.kind === 'reset') {
        this.world.network.resetConnections(producer, master);
        this.world.log('producer link reset');
        continue;
      }
      if (burst.direction === 'both') this.world.network.partition(producer, master);
      else this.world.network.block(master, producer);
      this.world.log(`producer link dropped (${burst.direction}) for ${burst.forMs} ms`);
      await this.world.until(this.world.clock.monotonicMs() + burst.forMs + this.world.controlLagMs());
      // As the lab's proxy: the drop ends with a reset, and what it held goes with the connections.
      this.world.network.resetConnections(producer, master);
      this.world.network.heal(producer, master);
    }
  }
}

/** Runs one drill on the simulator. */
export function simulate(input: SimulationInput): Promise<SimulationResult> {
  return new Simulation(input).run();
}

/**
 * The settings a simulated run of `drillId` runs under: RocketMQ's defaults, the drill's own patch,
 * then one side of its contrast (or none), then `overrides`; one master and one slave.
 */
export function simulationSettings(
  drillId: SimulatedDrillId,
  side: 'safe' | 'unsafe' | undefined,
  overrides: { broker?: Partial<BrokerSettings>; traffic?: Partial<DrillRunSettings['traffic']>; slaveRunning?: boolean } = {},
): DrillRunSettings {
  const spec = drillSpec(drillId);
  const contrast = side ? spec.contrast[side] : undefined;
  const broker = BrokerSettingsSchema.parse({ ...defaultSettings(), ...(spec.brokerPatch ?? {}), ...(contrast?.broker ?? {}), ...(overrides.broker ?? {}) });
  return {
    broker,
    traffic: {
      sendMode: 'sync', ackMode: 'after-processing', idempotent: false,
      rate: spec.timing.rate, durationSec: spec.timing.durationSec, consumers: spec.workload.consumers, bodySize: spec.workload.bodySize,
      ...(contrast?.traffic ?? {}),
      ...(overrides.traffic ?? {}),
    },
    slaveRunning: overrides.slaveRunning ?? true,
  };
}
