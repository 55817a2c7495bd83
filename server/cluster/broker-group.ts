/**
 * One broker group (broker-a, broker-b, …) as the control plane runs it: its 1 to 3 replicas by
 * identity (broker-a/0, broker-a/1, broker-a/2; broker-node.ts), which of them is the master now, the
 * HA link between them through a FaultProxy (so the dashboard can delay or cut it), promotion, the
 * old master rejoining, rebuild, and, per replica, the settings it should run in its role and
 * whether it confirmed them.
 *
 * The group's master is <group>/0 until a promotion, then the promoted replica. Every other replica
 * starts as a slave replicating from the master through the HA link (all slaves share it: a link
 * fault reaches each of them); after a promotion the old master, when started again, rejoins that
 * way, once truncated to the promotion offset (the common prefix). A promoted replica is not
 * restarted by the lab: it runs as it is.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrokerRole, BrokerSettings, BrokerSettingsPatch, RemotingServerConfig } from '../../broker/config/broker-config';
import type { HaEvent, HaStats } from '../../broker/ha/ha-types';
import type { MasterRole } from '../../broker/ha/broker-replication';
import type { LabBug, LabBugProcess } from '../../broker/lab-bugs';
import { isZerolossError } from '../../broker/errors/errors';
import type { ProcessStatus } from './child-process';
import { BrokerNode, type BrokerNodeListener, type RecordEvent, type StartPlan } from './broker-node';
import { FaultProxy, type Direction, type LinkFaults } from './fault-proxy';
import { describeDrift, settingsDrift, type NodeSettingsView, type SerialQueue, type SettingDrift } from './node-settings';
import type { MQAdminClient } from './admin-client';

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
  recentEvents: HaEvent[];
}

/** One replica as the topology view shows it: identity, process, role now, and its own offsets. */
export interface ReplicaView {
  /** broker-a/0: which group and which id, never which role */
  name: string;
  id: number;
  processName: string;
  state: ProcessStatus['state'];
  exitReason?: string;
  /** the role it last confirmed */
  role: BrokerRole;
  address?: string;
  /** its commit log's end and fdatasync'd length, from its last stats report */
  maxPhyOffset?: number;
  flushedPhyOffset?: number;
  /** a master: the highest offset a slave acked (-1 none) and its slaves connected now; a slave: the offset it reported */
  ackOffset?: number;
  slaveConnections?: number;
  /** a master: bytes not yet acked by any slave */
  lagBytes?: number;
  connectionState?: HaStats['connectionState'];
  /** a slave whose log is not a continuation of its master's: it refuses to merge and waits for a rebuild */
  diverged: boolean;
  /** whether it confirmed the settings it should run (server/cluster/node-settings.ts) */
  settings: NodeSettingsView['state'];
}

/** A broker group as the topology view shows it. */
export interface GroupView {
  brokerName: string;
  /** the replica that is master now */
  master: string;
  replicas: ReplicaView[];
  promotion?: ReplicationView['promotion'];
  /** a latency or blackhole is set on the group's HA link */
  linkFaulted: boolean;
}

/** Where a replica's store lives and what it is called on the dashboard and in the event log. */
interface ReplicaLayout {
  storeDir: string;
  processName: string;
  subject: string;
}

/**
 * The replicas' names. The first group's first two replicas keep the names they have always had on
 * disk, on the dashboard and in the event log (the store directories master and slave, 'broker-a
 * master', the subjects 'broker' and 'slave'), so existing stores, recorded runs and drills read as
 * before: they say which role the replica was first started in, not the role it has now
 * (BrokerNode.role). Every other replica is named by identity only: broker-a/2, broker-b/0, … with
 * its store in a directory named by its id. <group>/0 keeps its port across restarts (clients
 * configured with 10911 find it again); the others take a free one at each start.
 */
function replicaLayout(brokerName: string, id: number, legacyNames: boolean): ReplicaLayout {
  if (legacyNames && id === 0) return { storeDir: 'master', processName: `${brokerName} master`, subject: 'broker' };
  if (legacyNames && id === 1) return { storeDir: 'slave', processName: `${brokerName} slave`, subject: 'slave' };
  return { storeDir: String(id), processName: `${brokerName}/${id}`, subject: `${brokerName}/${id}` };
}

const EVENTS_KEPT = 20;
/** an HA event re-detected on every retry (a divergence, every 5 s) is recorded at most this often */
const HA_EVENT_RECORD_INTERVAL_MS = 60_000;

export interface BrokerGroupOptions {
  clusterName: string;
  brokerName: string;
  /** how many replicas (1 to 3; server/cluster/topology.ts): 1 is a master alone */
  replicas: number;
  /** the first group keeps its replicas' historical names (see replicaLayout) */
  legacyNames: boolean;
  /** each replica's store is a directory below it */
  storeRoot: string;
  /** <group>/0's remoting port at its first start (RocketMQ's 10911 for broker-a; 0 picks a free one) */
  firstPort: number;
  namesrvAddr: () => string | undefined;
  /** the saved settings */
  settings: () => BrokerSettings;
  /** the deliberate bugs a replica starts with, by the role it starts in */
  labBugs: (process: LabBugProcess) => LabBug[];
  /** every replica's client-port limits (ZL_REMOTING) */
  remoting: Partial<RemotingServerConfig>;
  /** settings changes and replica starts, one at a time (the control plane's queue) */
  serial: SerialQueue;
  record: RecordEvent;
  /** the admin client the replicas' settings reads, pushes and promotions go through (its owner closes it) */
  admin: MQAdminClient;
}

export class BrokerGroup {
  /** by id: replicas[0] is broker-a/0 */
  readonly replicas: readonly BrokerNode[];
  /** the HA link: every slave replicates from the master through it */
  readonly haLink = new FaultProxy('ha-link', '127.0.0.1:1');
  private promoted: { node: BrokerNode; record: NonNullable<ReplicationView['promotion']> } | undefined;
  /** the old master truncated itself once to the common prefix when it rejoined */
  private rejoined = false;
  /** the master's HA listen port, while the link leads to broker-a/0 */
  private haTarget: string | undefined;
  private readonly events: HaEvent[] = [];
  /** node:kind → when it was last recorded */
  private readonly lastRecordedMs = new Map<string, number>();
  /** the subject of the replication events (HA link faults, promotion, rebuild, HA events of any replica): 'slave' in the first group, the group's name in the others */
  private readonly replicationSubject: string;

  constructor(private readonly options: BrokerGroupOptions) {
    this.replicationSubject = options.legacyNames ? 'slave' : options.brokerName;
    this.replicas = Array.from({ length: options.replicas }, (_, id) => {
      const layout = replicaLayout(options.brokerName, id, options.legacyNames);
      return new BrokerNode({
        clusterName: options.clusterName,
        brokerName: options.brokerName,
        id,
        processName: layout.processName,
        subject: layout.subject,
        storePath: path.join(options.storeRoot, layout.storeDir),
        listenPort: id === 0 ? options.firstPort : 0,
        keepPort: id === 0,
        record: options.record,
        admin: options.admin,
        remoting: options.remoting,
      });
    });
    const listener: BrokerNodeListener = {
      ready: (node, report) => {
        // The link leads to the master's HA port; after a promotion it leads to the promoted replica's.
        if (report.haPort && node === this.master && !this.promoted) {
          this.haTarget = `127.0.0.1:${report.haPort}`;
          this.haLink.setTarget(this.haTarget);
        }
      },
      ha: (node, event) => this.noteEvent(node, event),
    };
    for (const node of this.replicas) node.listen(listener);
  }

  get brokerName(): string {
    return this.options.brokerName;
  }

  replica(id: number): BrokerNode {
    const node = this.replicas[id];
    if (!node) throw new Error(`${this.options.brokerName} has no replica ${id}: it runs ${this.replicas.length === 1 ? 'a master alone' : `${this.replicas.length} replicas`} (the topology's replicas per group)`);
    return node;
  }

  /** The replica that is the group's master now: broker-a/0 until a promotion, then the promoted one. */
  get master(): BrokerNode {
    return this.promoted?.node ?? this.replicas[0]!;
  }

  /** The last promotion, or undefined when the group still runs on its first master. */
  get promotion(): ReplicationView['promotion'] {
    return this.promoted?.record;
  }

  /** Which deliberate bugs apply to a replica: a master's or a slave's. */
  processOf(node: BrokerNode): 'master' | 'slave' {
    return node === this.master ? 'master' : 'slave';
  }

  // ---- starting ----

  /**
   * Starts a replica in its role (see the file comment) and resolves once it listens and runs the
   * saved settings: it is spawned with them, and whatever it reports running otherwise is pushed and
   * read back before anything else may change the settings. Resolves at once when it already runs.
   */
  start(node: BrokerNode, options: { truncateCommitLogTo?: number } = {}): Promise<void> {
    return this.options.serial.run(async () => {
      if (node.running) return;
      if (node === this.promoted?.node) throw new Error('this node was promoted to master; start the old master instead, it rejoins as a slave');
      await node.spawn(await this.startPlan(node, options.truncateCommitLogTo));
      await this.reconcile(node);
    });
  }

  private async startPlan(node: BrokerNode, truncateCommitLogTo: number | undefined): Promise<StartPlan> {
    const saved = this.options.settings();
    const namesrvAddr = this.options.namesrvAddr();
    if (node === this.master) return { settings: saved, brokerId: 0, namesrvAddr, labBugs: this.options.labBugs('master') };
    if (!this.haLink.port) await this.haLink.listen(0);
    // The old master rejoining after a promotion cuts its log to the common prefix, once.
    let truncateTo = truncateCommitLogTo;
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
   * Rebuilds a slave replica from the current master: stop it, cut its commit log (to 0, or to the
   * common prefix of the last promotion), start it again; it catches up from there.
   */
  async rebuild(node: BrokerNode, mode: 'empty' | 'common-prefix'): Promise<{ truncatedTo: number }> {
    if (node === this.master) throw new Error('this node is the master of the group since its promotion: rebuild the old master instead by restarting it');
    let truncateTo = 0;
    if (mode === 'common-prefix') {
      const prefix = this.master.haStats?.promotedAtOffset;
      if (prefix === undefined) throw new Error('no common prefix is known (the master was never promoted from a slave): rebuild with mode "empty"');
      truncateTo = prefix;
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

  /** Each replica's confirmed settings against the desired ones: confirmed, drift (key by key), starting or down. */
  settingsViews(): NodeSettingsView[] {
    return this.replicas.map((node) => node.settings.view(this.desiredSettings(node)));
  }

  /** Pushes to one running replica and reads back; returns what it ran before, or undefined when nothing was sent. */
  async pushTo(node: BrokerNode, keys: (keyof BrokerSettings)[], settings: BrokerSettings): Promise<BrokerSettingsPatch | undefined> {
    const before = node.settings.confirmed;
    if (!node.running || !node.address || !before) return undefined;
    const wanted = node === this.master ? keys : keys.filter((k) => k !== 'brokerRole');
    if (wanted.length === 0) return undefined;
    try {
      await node.pushSettings(pick(settings, wanted));
    } catch (error) {
      throw new Error(`${node.name} (${node.role}) did not confirm the settings: ${(error as Error).message}`);
    }
    return pick(before, wanted);
  }

  /** Pushes every key a replica runs otherwise than desired (a slave's role never), then reads back. */
  async reconcile(node: BrokerNode): Promise<void> {
    const running = node.settings.confirmed;
    if (!node.address || !running) return;
    const drift = settingsDrift(this.desiredSettings(node), running).filter((d) => d.key !== 'brokerRole' || node === this.master);
    if (drift.length === 0) return;
    await node.pushSettings(Object.fromEntries(drift.map((d) => [d.key, d.desired])) as BrokerSettingsPatch);
    this.options.record('settings.reconciled', 'settings', `${node.name} started with ${drift.map((d) => `${d.key}=${String(d.running)}`).join(', ')}; set to the saved ${drift.map((d) => `${d.key}=${String(d.desired)}`).join(', ')}`, 'setting', drift);
  }

  /** Reads what every running replica runs now, then sets each one that drifted back to the saved settings. */
  async reconcileAll(): Promise<void> {
    for (const node of this.replicas) {
      await node.readSettings();
      await this.reconcile(node);
    }
  }

  /**
   * Reads what every running replica runs now (GET_BROKER_CONFIG, not the last report) and compares
   * it with `expected` key by key, brokerRole as each replica's role should be (a slave is SLAVE; a
   * promoted replica keeps the role it was promoted to). Lists every mismatch, or a replica that did
   * not answer.
   */
  async verify(expected: BrokerSettings, keys: (keyof BrokerSettings)[]): Promise<string[]> {
    const mismatches: string[] = [];
    for (const node of this.replicas) {
      try {
        await node.readSettings();
      } catch (error) {
        mismatches.push(`${node.name} did not answer GET_BROKER_CONFIG: ${(error as Error).message}`);
      }
    }
    for (const node of this.replicas) {
      const running = node.settings.confirmed;
      if (!running) continue;
      const role = node !== this.master ? 'SLAVE' : this.promoted ? undefined : expected.brokerRole;
      const want = { ...expected, ...(role ? { brokerRole: role } : {}) };
      const drift: SettingDrift[] = settingsDrift(want, running).filter((d) => keys.includes(d.key) && (d.key !== 'brokerRole' || role !== undefined));
      if (drift.length > 0) mismatches.push(describeDrift(node.name, drift));
    }
    return mismatches;
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
      recentEvents: [...this.events],
    };
  }

  /** The group as the topology view shows it: every replica with its role and offsets. */
  groupView(): GroupView {
    const faults = this.haLink.getFaults();
    return {
      brokerName: this.options.brokerName,
      master: this.master.name,
      replicas: this.replicas.map((node) => {
        const ha = node.haStats;
        const store = node.storeStats;
        const status = node.status;
        return {
          name: node.name,
          id: node.id,
          processName: node.processName,
          state: status.state,
          ...(status.exitReason ? { exitReason: status.exitReason } : {}),
          role: node.role,
          ...(node.address ? { address: node.address } : {}),
          ...(store ? { maxPhyOffset: store.maxPhyOffset, flushedPhyOffset: store.flushedPhyOffset } : {}),
          ...(ha ? { ackOffset: ha.slaveAckOffset, connectionState: ha.connectionState } : {}),
          ...(ha && ha.role !== 'SLAVE' ? { slaveConnections: ha.slaveConnections, lagBytes: ha.lagBytes } : {}),
          diverged: ha?.divergence !== undefined,
          settings: node.settings.view(this.desiredSettings(node)).state,
        };
      }),
      ...(this.promoted ? { promotion: this.promoted.record } : {}),
      linkFaulted: Object.values(faults).some((f) => f.blackhole || f.latencyMs > 0),
    };
  }

  /** HA events of any replica: kept for the view; divergences, garbage frames and promotions recorded. */
  private noteEvent(node: BrokerNode, event: HaEvent): void {
    this.events.push(event);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
    const key = `${node.name}:${event.kind}`;
    const now = Date.now();
    if ((this.lastRecordedMs.get(key) ?? -Infinity) > now - HA_EVENT_RECORD_INTERVAL_MS) return;
    if (event.kind === 'diverged' || event.kind === 'badFrame' || event.kind === 'promoted') {
      this.lastRecordedMs.set(key, now);
      const from = node.role === 'SLAVE' ? 'slave' : 'master';
      this.options.record(`ha.${event.kind}`, this.replicationSubject, `${from}: ${event.message}`, event.kind === 'promoted' ? undefined : 'fault');
    }
  }

  /** Stops every replica (the slaves first) and the HA link. */
  async close(): Promise<void> {
    for (const node of [...this.replicas].sort((a, b) => Number(a === this.master) - Number(b === this.master))) await node.close();
    await this.haLink.close();
  }
}

/**
 * Pushes the changed keys to every running replica of every group and reads back what each now runs
 * (never brokerRole to a slave: only promotion changes a slave's role). When one refuses, those
 * already changed are set back, and the error names the replica and says which were set back.
 */
export async function pushSettingsToGroups(groups: readonly BrokerGroup[], keys: (keyof BrokerSettings)[], settings: BrokerSettings): Promise<void> {
  const undo: { node: string; run: () => Promise<unknown> }[] = [];
  try {
    for (const group of groups) {
      for (const node of group.replicas) {
        const previous = await group.pushTo(node, keys, settings);
        if (previous) undo.push({ node: node.name, run: () => group.pushTo(node, Object.keys(previous) as (keyof BrokerSettings)[], { ...settings, ...previous }) });
      }
    }
  } catch (error) {
    const restored = await Promise.allSettled(undo.map((u) => u.run()));
    const notRestored = undo.filter((_, i) => restored[i]!.status === 'rejected').map((u) => u.node);
    const setBack = undo.map((u) => u.node).filter((n) => !notRestored.includes(n));
    throw new Error([
      (error as Error).message,
      setBack.length > 0 ? `set back: ${setBack.join(', ')}` : 'no other node had changed',
      ...(notRestored.length > 0 ? [`could not be set back: ${notRestored.join(', ')} (see their drift on the Settings page)`] : []),
      'nothing was saved',
    ].join('; '));
  }
}

function pick<T extends object>(values: T, keys: (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, values[k]])) as Partial<T>;
}
