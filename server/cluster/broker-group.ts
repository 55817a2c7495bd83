/**
 * One broker group in classic mode (RocketMQ 4's master/slave; replica-group.ts has what every mode
 * shares): the HA link between its replicas through a FaultProxy (so the dashboard can delay or cut
 * it), promotion, the old master rejoining, and rebuild.
 *
 * The group's master is <group>/0 until a promotion, then the promoted replica. Every other replica
 * starts as a slave replicating from the master through the HA link (all slaves share it: a link
 * fault reaches each of them); after a promotion the old master, when started again, rejoins that
 * way, once truncated to the promotion offset (the common prefix). A promoted replica is not
 * restarted by the lab: it runs as it is.
 */
import fs from 'node:fs';
import type { BrokerRole, BrokerSettings } from '../../broker/config/broker-config';
import type { HaEvent, HaStats } from '../../broker/ha/ha-types';
import type { MasterRole } from '../../broker/ha/broker-replication';
import { isZerolossError } from '../../broker/errors/errors';
import type { ProcessStatus } from './child-process';
import type { BrokerNode, StartPlan } from './broker-node';
import { FaultProxy, type Direction, type LinkFaults } from './fault-proxy';
import { ReplicaGroup, type GroupView, type ReplicaGroupOptions } from './replica-group';

export interface ReplicationView {
  /** broker-a/1, what the API calls the slave; `role` is the role it has now (SLAVE until promoted) */
  slave: ProcessStatus & { port?: number; address?: string; storePath: string; brokerId: number; role: BrokerRole };
  /** the HA link through the fault proxy */
  link: { proxyAddress?: string; target?: string; faults: Record<Direction, LinkFaults>; connections: number };
  /** replication as the acting master sees it (lag, the slave's ack offset, connection state) */
  lagBytes: number;
  lagMessages: number;
  lagMs: number;
  slaveAckOffset: number;
  connectionState: HaStats['connectionState'] | 'UNKNOWN';
  /** the slave's log is not a continuation of the master's: rebuild it */
  divergence?: HaStats['divergence'];
  /** broker-a/0's HA figures, whatever its role now */
  masterHa?: HaStats;
  /** broker-a/1's HA figures, whatever its role now */
  slaveHa?: HaStats;
  promotion?: { promotedAtOffset: number; atMs: number; brokerRole: MasterRole };
  /** where a common-prefix rebuild of the slave cuts, and how it is known */
  rebuildPrefix?: RebuildPrefix;
  recentEvents: HaEvent[];
}

/**
 * A common prefix of the slave's and the master's logs: the master's offset when it was promoted, or
 * the offset up to which the master vouched for the slave's log when the slave was proven to hold
 * records the master lost (broker/ha/ha-connection.ts): below it both hold the same records.
 */
export interface RebuildPrefix {
  offset: number;
  source: 'divergence' | 'promotion';
}

/** The divergence's word when it proves a prefix (the master answered below the slave's end), else the promotion's. */
export function rebuildPrefixOf(slave: HaStats | undefined, master: HaStats | undefined): RebuildPrefix | undefined {
  const d = slave?.divergence;
  if (d && d.masterOffset < d.slaveMaxOffset) return { offset: d.masterOffset, source: 'divergence' };
  return master?.promotedAtOffset === undefined ? undefined : { offset: master.promotedAtOffset, source: 'promotion' };
}

export class BrokerGroup extends ReplicaGroup {
  /** the HA link: every slave replicates from the master through it */
  readonly haLink = new FaultProxy('ha-link', '127.0.0.1:1');
  private promoted: { node: BrokerNode; record: NonNullable<ReplicationView['promotion']> } | undefined;
  /** the old master truncated itself once to the common prefix when it rejoined */
  private rejoined = false;
  /** the master's HA listen port, while the link leads to broker-a/0 */
  private haTarget: string | undefined;

  constructor(options: ReplicaGroupOptions) {
    super(options);
    for (const node of this.replicas) {
      node.listen({
        ready: (n, report) => {
          // The link leads to the master's HA port; after a promotion it leads to the promoted replica's.
          if (report.haPort && n === this.master && !this.promoted) {
            this.haTarget = `127.0.0.1:${report.haPort}`;
            this.haLink.setTarget(this.haTarget);
          }
        },
      });
    }
  }

  /** The replica that is the group's master now: broker-a/0 until a promotion, then the promoted one. */
  get master(): BrokerNode {
    return this.promoted?.node ?? this.replicas[0]!;
  }

  /** The last promotion, or undefined when the group still runs on its first master. */
  get promotion(): ReplicationView['promotion'] {
    return this.promoted?.record;
  }

  // ---- starting ----

  override start(node: BrokerNode, options: { truncateCommitLogTo?: number } = {}): Promise<void> {
    if (node === this.promoted?.node && !node.running) return Promise.reject(new Error('this node was promoted to master; start the old master instead, it rejoins as a slave'));
    return super.start(node, options);
  }

  protected async startPlan(node: BrokerNode, options: { truncateCommitLogTo?: number }): Promise<StartPlan> {
    const saved = this.options.settings();
    const namesrvAddr = this.options.namesrvAddr();
    if (node === this.master) return { settings: saved, brokerId: 0, namesrvAddr, labBugs: this.options.labBugs('master') };
    if (!this.haLink.port) await this.haLink.listen(0);
    // The old master rejoining after a promotion cuts its log to the common prefix, once.
    let truncateTo = options.truncateCommitLogTo;
    if (this.promoted && !this.rejoined) {
      truncateTo ??= this.promoted.record.promotedAtOffset;
      this.rejoined = true;
    }
    return {
      settings: { ...saved, brokerRole: 'SLAVE' },
      brokerId: this.slaveBrokerId(node),
      namesrvAddr,
      haMasterAddress: this.haLink.address,
      ...(truncateTo !== undefined ? { truncateCommitLogTo: truncateTo } : {}),
      labBugs: this.options.labBugs('slave'),
    };
  }

  /**
   * The brokerId a slave registers with (RocketMQ: the master is 0, each slave a distinct positive
   * id): its own id, or for <group>/0 rejoining after a promotion, the id the promoted replica left.
   */
  private slaveBrokerId(node: BrokerNode): number {
    return node.id !== 0 ? node.id : (this.promoted?.node.id ?? 1);
  }

  /** Promotes a running slave replica; refused with a sentence when it is not running or already a master. */
  async promote(node: BrokerNode, brokerRole: MasterRole): Promise<{ haPort: number; promotedAtOffset: number }> {
    if (!node.running || !node.address) throw new Error('no slave is running: start the slave first (cluster.startSlave), then promote it');
    if (node.role !== 'SLAVE') throw new Error(`the slave was already promoted: it is the ${node.role} of the group`);
    let promoted: { haPort: number; promotedAtOffset: number };
    try {
      promoted = await node.promote(brokerRole);
    } catch (error) {
      if (isZerolossError(error, 'BROKER_ERROR')) throw new Error(`the slave refused the promotion: ${error.message}`);
      throw error;
    }
    this.promoted = { node, record: { promotedAtOffset: promoted.promotedAtOffset, atMs: Date.now(), brokerRole } };
    this.rejoined = false;
    // The link now leads to the new master: the old master rejoins through it.
    this.haLink.setTarget(`127.0.0.1:${promoted.haPort}`);
    this.haLink.resetConnections();
    this.options.record('ha.promoted', this.replicationSubject, `slave promoted to ${brokerRole} at commit-log offset ${promoted.promotedAtOffset}; the old master rejoins as a slave after truncating to it`, 'fault');
    return promoted;
  }

  /**
   * Rebuilds a slave replica from the current master: stop it, cut its commit log (to 0, or to a
   * common prefix: rebuildPrefixOf), start it again; it catches up from there.
   */
  async rebuild(node: BrokerNode, mode: 'empty' | 'common-prefix'): Promise<{ truncatedTo: number }> {
    if (node === this.master) throw new Error('this node is the master of the group since its promotion: rebuild the old master instead by restarting it');
    let truncateTo = 0;
    if (mode === 'common-prefix') {
      const prefix = rebuildPrefixOf(node.haStats, this.master.haStats);
      if (prefix === undefined) throw new Error('no common prefix is known (the master was never promoted from a slave, and the slave was not told how far the master vouches for its log): rebuild with mode "empty"');
      truncateTo = prefix.offset;
    }
    await node.stop();
    this.options.record('ha.rebuild', this.replicationSubject, `rebuilding the slave: commit log cut to ${truncateTo}, then catch-up from the master`, 'fault');
    if (truncateTo === 0) fs.rmSync(node.storePath, { recursive: true, force: true });
    await this.start(node, { truncateCommitLogTo: truncateTo });
    return { truncatedTo: truncateTo };
  }

  setLinkFault(direction: Direction | 'both', faults: { latencyMs?: number; blackhole?: boolean; reset?: boolean }): ReplicationView['link'] {
    const { reset, ...rest } = faults;
    this.haLink.setFaults(direction, rest);
    if (reset) this.haLink.resetConnections();
    const label = [
      rest.latencyMs !== undefined ? `latency ${rest.latencyMs} ms` : '',
      rest.blackhole !== undefined ? (rest.blackhole ? 'blackhole' : 'no blackhole') : '',
      reset ? 'connections reset' : '',
    ].filter(Boolean).join(', ');
    this.options.record('fault.link', this.replicationSubject, `HA link ${direction}: ${label || 'unchanged'}`, 'fault');
    return this.linkView();
  }

  // ---- settings ----

  /** The settings a replica should run: the saved ones, in its role (a slave is SLAVE; a promoted master keeps its role). */
  desiredSettings(node: BrokerNode): BrokerSettings {
    const saved = this.options.settings();
    if (node !== this.master) return { ...saved, brokerRole: 'SLAVE' };
    return this.promoted ? { ...saved, brokerRole: node.role } : saved;
  }

  protected choosesRole(node: BrokerNode): boolean {
    return node === this.master;
  }

  /** A slave is SLAVE; the first master runs the settings' role; a promoted replica keeps the role it was promoted to. */
  protected expectedRole(node: BrokerNode, masterRole: BrokerRole): BrokerRole | undefined {
    if (node !== this.master) return 'SLAVE';
    return this.promoted ? undefined : masterRole;
  }

  // ---- views ----

  private linkView(): ReplicationView['link'] {
    return {
      proxyAddress: this.haLink.port ? this.haLink.address : undefined,
      target: this.promoted ? undefined : this.haTarget,
      faults: this.haLink.getFaults(),
      connections: this.haLink.stats().connections,
    };
  }

  /**
   * Replication as the dashboard shows it: <group>/1 as `slave`, lag from the acting master's side;
   * undefined for a master alone.
   */
  view(): ReplicationView | undefined {
    const [first, second] = this.replicas;
    if (!first || !second) return undefined;
    const masterSide = this.master.haStats;
    const slaveSide = (this.master === first ? second : first).haStats;
    return {
      slave: { ...second.status, port: second.port, address: second.address, storePath: second.storePath, brokerId: second.id, role: second.role },
      link: this.linkView(),
      lagBytes: masterSide?.lagBytes ?? 0,
      lagMessages: masterSide?.lagMessages ?? 0,
      lagMs: masterSide?.lagMs ?? 0,
      slaveAckOffset: masterSide?.slaveAckOffset ?? -1,
      connectionState: slaveSide?.connectionState ?? masterSide?.connectionState ?? 'UNKNOWN',
      divergence: slaveSide?.divergence,
      masterHa: first.haStats,
      slaveHa: second.haStats,
      promotion: this.promotion,
      rebuildPrefix: rebuildPrefixOf(second.haStats, this.master.haStats),
      recentEvents: this.recentEvents(),
    };
  }

  override groupView(): GroupView {
    const faults = this.haLink.getFaults();
    return {
      ...super.groupView(),
      ...(this.promoted ? { promotion: this.promoted.record } : {}),
      linkFaulted: Object.values(faults).some((f) => f.blackhole || f.latencyMs > 0),
    };
  }

  /** Divergences, garbage frames and promotions are recorded. */
  protected recordedEvent(node: BrokerNode, event: HaEvent): { message: string; marker?: 'fault'; rateLimited: boolean } | undefined {
    if (event.kind !== 'diverged' && event.kind !== 'badFrame' && event.kind !== 'promoted') return undefined;
    const from = node.role === 'SLAVE' ? 'slave' : 'master';
    return { message: `${from}: ${event.message}`, ...(event.kind === 'promoted' ? {} : { marker: 'fault' as const }), rateLimited: true };
  }

  /** Stops every replica (the slaves first) and the HA link. */
  override async close(): Promise<void> {
    await super.close();
    await this.haLink.close();
  }
}
