/**
 * One broker group in controller mode (RocketMQ 5; docs/architecture.md#controller-mode;
 * replica-group.ts has what every mode shares). The lab chooses no role here: every replica starts
 * the same way, registers with the controller as brokerId id+1, and is the master only while the
 * controller says so (its stats' `ha.controller`). Each replica's HA port is behind a fault proxy of
 * its own, the address it gives the controller for its slaves, and it reaches the controller through
 * a fault proxy of its own too: a drill can cut one replica from the others and from the controller,
 * whatever its role, while its producers still reach it.
 *
 * A replica that finds its log diverged from its new master's exits 75 (EXIT_CODE_RESTART) after
 * recording where to cut; the group starts it again on the same store, as a supervisor would, and
 * its start-up truncation cuts the log before the store opens.
 */
import type { BrokerRole, BrokerSettings } from '../../broker/config/broker-config';
import type { HaEvent } from '../../broker/ha/ha-types';
import { EXIT_CODE_RESTART } from '../../broker/runtime/child-runtime';
import type { BrokerNode, StartPlan } from './broker-node';
import { FaultProxy } from './fault-proxy';
import { ReplicaGroup, type GroupView, type ReplicaGroupOptions } from './replica-group';

export interface ControllerModeGroupOptions extends ReplicaGroupOptions {
  /** the controller every replica registers with; undefined while it has not started */
  controllerAddr: () => string | undefined;
}

/** The brokerId a replica has with the controller: RocketMQ's ids in controller mode start at 1. */
export function controllerBrokerId(node: BrokerNode): number {
  return node.id + 1;
}

export class ControllerModeGroup extends ReplicaGroup {
  /** each replica's HA port behind its own proxy, by id */
  readonly haProxies: readonly FaultProxy[];
  /** each replica's way to the controller, by id */
  readonly controllerProxies: readonly FaultProxy[];
  private closing = false;
  private readonly truncationRestarts = new Map<BrokerNode, number>();

  constructor(private readonly modeOptions: ControllerModeGroupOptions) {
    super(modeOptions);
    this.haProxies = this.replicas.map((node) => new FaultProxy(`ha-${node.name}`, '127.0.0.1:1'));
    this.controllerProxies = this.replicas.map((node) => new FaultProxy(`controller-${node.name}`, '127.0.0.1:1'));
    for (const node of this.replicas) {
      node.listen({
        ready: (n, report) => {
          if (report.haPort) this.haProxies[n.id]!.setTarget(`127.0.0.1:${report.haPort}`);
        },
        exited: (n, info) => {
          if (info.code !== EXIT_CODE_RESTART || this.closing) return;
          this.truncationRestarts.set(n, (this.truncationRestarts.get(n) ?? 0) + 1);
          this.options.record('ha.truncationRestart', this.replicationSubject, `${n.name} restarts to cut its log to the common point with its new master (a diverged tail is cut, never merged)`, 'fault');
          this.start(n).catch((error: unknown) => this.options.record('process.crashed', n.subject, `${n.processName} did not start again after its truncation restart: ${(error as Error).message}`, 'process'));
        },
      });
    }
  }

  /**
   * The replica the controller made master, as the replicas reported it: of those that say they are
   * master (after a partition two may, for a moment), the one of the newest epoch.
   */
  get master(): BrokerNode | undefined {
    let best: BrokerNode | undefined;
    for (const node of this.replicas) {
      const controller = node.running ? node.haStats?.controller : undefined;
      if (controller?.role !== 'MASTER') continue;
      if (!best || controller.masterEpoch > (best.haStats!.controller!.masterEpoch)) best = node;
    }
    return best;
  }

  protected async startPlan(node: BrokerNode): Promise<StartPlan> {
    const controllerAddr = this.modeOptions.controllerAddr();
    if (!controllerAddr) throw new Error(`${node.name} cannot start: the controller is not running (controller mode)`);
    const proxy = this.haProxies[node.id]!;
    if (!proxy.port) await proxy.listen(0);
    const toController = this.controllerProxies[node.id]!;
    toController.setTarget(controllerAddr);
    if (!toController.port) await toController.listen(0);
    return {
      settings: this.options.settings(),
      brokerId: controllerBrokerId(node),
      namesrvAddr: this.options.namesrvAddr(),
      controllerAddr: toController.address,
      haAdvertisedAddress: proxy.address,
      // Any replica may be elected master while it runs: it carries the master's bugs and the slave's.
      labBugs: [...new Set([...this.options.labBugs('master'), ...this.options.labBugs('slave')])],
    };
  }

  // ---- settings ----

  /** The saved settings, in the role the controller gave the replica: the lab does not choose it. */
  desiredSettings(node: BrokerNode): BrokerSettings {
    return { ...this.options.settings(), brokerRole: node.role };
  }

  protected choosesRole(): boolean {
    return false;
  }

  protected expectedRole(): BrokerRole | undefined {
    return undefined;
  }

  // ---- faults ----

  /**
   * Cuts one replica from the others and from the controller (both ways, connections reset), or
   * heals it; its producers and consumers still reach it.
   */
  isolate(node: BrokerNode, isolated: boolean): void {
    for (const proxy of [this.haProxies[node.id]!, this.controllerProxies[node.id]!]) {
      proxy.setFaults('both', { blackhole: isolated });
      proxy.resetConnections();
    }
    this.options.record('fault.link', this.replicationSubject, isolated
      ? `${node.name} isolated from the other replicas and the controller (its producers and consumers still reach it)`
      : `${node.name} reaches the other replicas and the controller again`, 'fault');
  }

  /** Whether a replica is cut off now: only isolate() blackholes its link to the controller. */
  isIsolated(node: BrokerNode): boolean {
    return this.controllerProxies[node.id]!.getFaults().upstream.blackhole;
  }

  /** Heals every replica isolated now; returns their names. */
  healIsolated(): string[] {
    const nodes = this.replicas.filter((n) => this.isIsolated(n));
    for (const node of nodes) this.isolate(node, false);
    return nodes.map((n) => n.name);
  }

  // ---- views ----

  override groupView(): GroupView {
    const master = this.master;
    const controller = master?.haStats?.controller;
    return {
      ...super.groupView(),
      replicas: this.replicas.map((node) => ({ ...this.replicaView(node), truncationRestarts: this.truncationRestarts.get(node) ?? 0, isolated: this.isIsolated(node) })),
      linkFaulted: [...this.haProxies, ...this.controllerProxies].some((p) => Object.values(p.getFaults()).some((f) => f.blackhole || f.latencyMs > 0)),
      ...(controller ? {
        controller: {
          masterEpoch: controller.masterEpoch,
          syncStateSet: controller.syncStateSet.map((id) => `${this.brokerName}/${id - 1}`),
          syncStateSetEpoch: controller.syncStateSetEpoch,
          confirmOffset: controller.confirmOffset,
        },
      } : {}),
    };
  }

  /** Role and SyncStateSet changes, divergences, garbage frames and controller trouble are recorded. */
  protected recordedEvent(node: BrokerNode, event: HaEvent): { message: string; marker?: 'fault' | 'process'; rateLimited: boolean } | undefined {
    switch (event.kind) {
      case 'role.changed':
      case 'syncStateSet.changed':
        return { message: `${node.name}: ${event.message}`, marker: 'process', rateLimited: false };
      case 'diverged':
      case 'badFrame':
      case 'controller':
        return { message: `${node.name}: ${event.message}`, marker: 'fault', rateLimited: true };
      default:
        return undefined;
    }
  }

  override async close(): Promise<void> {
    this.closing = true;
    await super.close();
    for (const proxy of [...this.haProxies, ...this.controllerProxies]) await proxy.close();
  }
}
