/**
 * One broker group (broker-a) as the control plane runs it: its replicas by identity (broker-a/0,
 * broker-a/1; broker-node.ts), which of them is the master now, the HA link between them through a
 * FaultProxy (so the dashboard can delay or cut it), promotion, the old master rejoining, rebuild,
 * and, per replica, the settings it should run in its role and whether it confirmed them.
 *
 * The group's master is broker-a/0 until a promotion, then the promoted replica. Every other replica
 * starts as a slave replicating from the master through the HA link; after a promotion the old
 * master, when started again, rejoins that way, once truncated to the promotion offset (the common
 * prefix). A promoted replica is not restarted by the lab: it runs as it is.
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

/**
 * The replicas of a group. Each keeps the names it has always had on disk, on the dashboard and in
 * the event log (its store directory, 'broker-a master', the subject 'broker'): they say which role
 * it was first started in, not the role it has now (BrokerNode.role). broker-a/0 keeps its port
 * across restarts (clients configured with 10911 find it again); broker-a/1 takes a free one.
 */
const REPLICAS = [
  { id: 0, storeDir: 'master', processName: 'master', subject: 'broker', keepPort: true },
  { id: 1, storeDir: 'slave', processName: 'slave', subject: 'slave', keepPort: false },
] as const;

/** the subject of the replication events (HA link faults, promotion, rebuild, HA events of either replica) */
const REPLICATION_SUBJECT = 'slave';
const EVENTS_KEPT = 20;
/** an HA event re-detected on every retry (a divergence, every 5 s) is recorded at most this often */
const HA_EVENT_RECORD_INTERVAL_MS = 60_000;

export interface BrokerGroupOptions {
  clusterName: string;
  brokerName: string;
  /** <dataDir>/<cluster>: each replica's store is a directory below it */
  storeRoot: string;
  /** broker-a/0's remoting port at its first start (RocketMQ's 10911; 0 picks a free one) */
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

  constructor(private readonly options: BrokerGroupOptions) {
    this.replicas = REPLICAS.map((r) => new BrokerNode({
      clusterName: options.clusterName,
      brokerName: options.brokerName,
      id: r.id,
      processName: `${options.brokerName} ${r.processName}`,
      subject: r.subject,
      storePath: path.join(options.storeRoot, r.storeDir),
      listenPort: r.id === 0 ? options.firstPort : 0,
      keepPort: r.keepPort,
      record: options.record,
      admin: options.admin,
      remoting: options.remoting,
    }));
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

  replica(id: number): BrokerNode {
    const node = this.replicas[id];
    if (!node) throw new Error(`${this.options.brokerName} has no replica ${id}`);
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
    if (node === this.master) return { settings: saved, namesrvAddr, labBugs: this.options.labBugs('master') };
    if (!this.haLink.port) await this.haLink.listen(0);
    // The old master rejoining after a promotion cuts its log to the common prefix, once.
    let truncateTo = truncateCommitLogTo;
    if (this.promoted && !this.rejoined) {
      truncateTo ??= this.promoted.record.promotedAtOffset;
      this.rejoined = true;
    }
    return {
      settings: { ...saved, brokerRole: 'SLAVE' },
      namesrvAddr,
      haMasterAddress: this.haLink.address,
      ...(truncateTo !== undefined ? { truncateCommitLogTo: truncateTo } : {}),
      labBugs: this.options.labBugs('slave'),
    };
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
    this.options.record('ha.promoted', REPLICATION_SUBJECT, `slave promoted to ${brokerRole} at commit-log offset ${promoted.promotedAtOffset}; the old master rejoins as a slave after truncating to it`, 'fault');
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
    this.options.record('ha.rebuild', REPLICATION_SUBJECT, `rebuilding the slave: commit log cut to ${truncateTo}, then catch-up from the master`, 'fault');
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
    this.options.record('fault.link', REPLICATION_SUBJECT, `HA link ${direction}: ${label || 'unchanged'}`, 'fault');
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

  /**
   * Pushes the changed keys to every running replica and reads back what each now runs (never
   * brokerRole to a slave: only promotion changes a slave's role). When one refuses, those already
   * changed are set back, and the error names the replica and says which were set back.
   */
  async pushSettings(keys: (keyof BrokerSettings)[], settings: BrokerSettings): Promise<void> {
    const undo: { node: string; run: () => Promise<unknown> }[] = [];
    try {
      for (const node of this.replicas) {
        const previous = await this.pushTo(node, keys, settings);
        if (previous) undo.push({ node: node.name, run: () => this.pushTo(node, Object.keys(previous) as (keyof BrokerSettings)[], { ...settings, ...previous }) });
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

  /** Pushes to one running replica and reads back; returns what it ran before, or undefined when nothing was sent. */
  private async pushTo(node: BrokerNode, keys: (keyof BrokerSettings)[], settings: BrokerSettings): Promise<BrokerSettingsPatch | undefined> {
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

  /** Replication as the dashboard shows it: broker-a/1 as `slave`, lag from the acting master's side. */
  view(): ReplicationView {
    const [first, second] = this.replicas as [BrokerNode, BrokerNode];
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
      this.options.record(`ha.${event.kind}`, REPLICATION_SUBJECT, `${from}: ${event.message}`, event.kind === 'promoted' ? undefined : 'fault');
    }
  }

  /** Stops every replica (the slaves first) and the HA link. */
  async close(): Promise<void> {
    for (const node of [...this.replicas].sort((a, b) => Number(a === this.master) - Number(b === this.master))) await node.close();
    await this.haLink.close();
  }
}

function pick<T extends object>(values: T, keys: (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, values[k]])) as Partial<T>;
}
