/**
 * What every broker group (broker-a, broker-b, …) is to the control plane, whichever mode runs it:
 * its 1 to 3 replicas by identity (broker-a/0, broker-a/1, broker-a/2; broker-node.ts), which of them
 * is the master now, and, per replica, the settings it should run and whether it confirmed them.
 *
 * Two modes build on it. Classic (broker-group.ts): the master is chosen by the lab and a slave is
 * made master only by a promotion, RocketMQ 4's way. Controller mode (controller-mode-group.ts): the
 * controller elects the master and a replica learns its role from it, RocketMQ 5's way. Either way a
 * replica's name says which group and which id it is, never which role: roles change.
 */
import path from 'node:path';
import { CONTROLLER_KEYS, type BrokerRole, type BrokerSettings, type BrokerSettingsPatch, type RemotingServerConfig } from '../../broker/config/broker-config';
import type { HaEvent, HaStats } from '../../broker/ha/ha-types';
import type { LabBug, LabBugProcess } from '../../broker/lab-bugs';
import type { ProcessStatus } from './child-process';
import { BrokerNode, type BrokerNodeListener, type RecordEvent, type StartPlan } from './broker-node';
import { describeDrift, settingsDrift, type NodeSettingsView, type SerialQueue, type SettingDrift } from './node-settings';
import type { MQAdminClient } from './admin-client';
import type { PlainAclConfig } from '../../broker/acl/plain-access-validator';

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
  /** controller mode: what the controller last told it (role, epoch, SyncStateSet, confirm offset) */
  controller?: NonNullable<HaStats['controller']>;
  /** controller mode: times it restarted to cut its log to the common point with its master */
  truncationRestarts?: number;
  /** controller mode: cut from the other replicas and the controller (its clients still reach it) */
  isolated?: boolean;
}

/** A broker group as the topology view shows it. */
export interface GroupView {
  brokerName: string;
  /** the replica that is master now; none while a controller-mode group has no master */
  master?: string;
  replicas: ReplicaView[];
  promotion?: { promotedAtOffset: number; atMs: number; brokerRole: BrokerRole };
  /** a latency or blackhole is set on the group's HA link */
  linkFaulted: boolean;
  /** controller mode: the master's epoch and SyncStateSet as the master reported them */
  controller?: { masterEpoch: number; syncStateSet: string[]; syncStateSetEpoch: number; confirmOffset: number };
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
 * (BrokerNode.role). In controller mode, where the controller moves the roles, those two are named by
 * identity in the event log and on the dashboard too (their stores and subjects stay). Every other
 * replica is named by identity only: broker-a/2, broker-b/0, … with its store in a directory named by
 * its id. <group>/0 keeps its port across restarts (clients configured with 10911 find it again); the
 * others take a free one at each start.
 */
function replicaLayout(brokerName: string, id: number, legacyNames: boolean, rolesMove: boolean): ReplicaLayout {
  const identity = `${brokerName}/${id}`;
  if (legacyNames && id === 0) return { storeDir: 'master', processName: rolesMove ? identity : `${brokerName} master`, subject: 'broker' };
  if (legacyNames && id === 1) return { storeDir: 'slave', processName: rolesMove ? identity : `${brokerName} slave`, subject: 'slave' };
  return { storeDir: String(id), processName: identity, subject: identity };
}

const EVENTS_KEPT = 20;
/** an HA event re-detected on every retry (a divergence, every 5 s) is recorded at most this often */
const HA_EVENT_RECORD_INTERVAL_MS = 60_000;

export interface ReplicaGroupOptions {
  clusterName: string;
  brokerName: string;
  /** how many replicas (1 to 3; server/cluster/topology.ts): 1 is a master alone */
  replicas: number;
  /** the first group keeps its replicas' historical names (see replicaLayout) */
  legacyNames: boolean;
  /** controller mode: the controller moves the roles, so no replica is called master or slave */
  rolesMove?: boolean;
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
  /** every replica's ACL (aclEnable with these accounts); absent = off */
  acl?: PlainAclConfig;
  /** settings changes and replica starts, one at a time (the control plane's queue) */
  serial: SerialQueue;
  record: RecordEvent;
  /** the admin client the replicas' settings reads, pushes and promotions go through (its owner closes it) */
  admin: MQAdminClient;
}

export abstract class ReplicaGroup {
  /** by id: replicas[0] is broker-a/0 */
  readonly replicas: readonly BrokerNode[];
  protected readonly events: HaEvent[] = [];
  /** node:kind → when it was last recorded */
  private readonly lastRecordedMs = new Map<string, number>();
  /** the subject of the group's replication events: 'slave' in the first group, the group's name in the others */
  protected readonly replicationSubject: string;

  constructor(protected readonly options: ReplicaGroupOptions) {
    this.replicationSubject = options.legacyNames ? 'slave' : options.brokerName;
    this.replicas = Array.from({ length: options.replicas }, (_, id) => {
      const layout = replicaLayout(options.brokerName, id, options.legacyNames, options.rolesMove ?? false);
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
        ...(options.acl ? { acl: options.acl } : {}),
      });
    });
    const listener: BrokerNodeListener = { ha: (node, event) => this.noteEvent(node, event) };
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

  /** The replica that is the group's master now; undefined while a controller-mode group has none. */
  abstract get master(): BrokerNode | undefined;

  /** Which deliberate bugs apply to a replica: a master's or a slave's. */
  processOf(node: BrokerNode): 'master' | 'slave' {
    return node === this.master ? 'master' : 'slave';
  }

  /**
   * Starts a replica as its mode says and resolves once it listens and runs the saved settings: it
   * is spawned with them, and whatever it reports running otherwise is pushed and read back before
   * anything else may change the settings. Resolves at once when it already runs.
   */
  start(node: BrokerNode, options: { truncateCommitLogTo?: number } = {}): Promise<void> {
    return this.options.serial.run(async () => {
      if (node.running) return;
      await node.spawn(await this.startPlan(node, options));
      await this.reconcile(node);
    });
  }

  protected abstract startPlan(node: BrokerNode, options: { truncateCommitLogTo?: number }): Promise<StartPlan>;

  // ---- settings ----

  /** The settings a replica should run: the saved ones, with the role its mode gives it. */
  abstract desiredSettings(node: BrokerNode): BrokerSettings;

  /**
   * The role verify() holds a replica to, given the role the settings ask of a master; undefined
   * when the lab does not choose it (a promoted master keeps its role; the controller decides).
   */
  protected abstract expectedRole(node: BrokerNode, masterRole: BrokerRole): BrokerRole | undefined;

  /** Whether the lab sets this replica's brokerRole with a settings change (classic: the master's). */
  protected abstract choosesRole(node: BrokerNode): boolean;

  /**
   * Keys a running replica may be changed live: brokerRole only where the lab chooses the role,
   * never a key of controller mode (fixed for the life of the process; the control plane restarts).
   */
  private liveKeys(node: BrokerNode, keys: readonly (keyof BrokerSettings)[]): (keyof BrokerSettings)[] {
    return keys.filter((k) => (k !== 'brokerRole' || this.choosesRole(node)) && !(CONTROLLER_KEYS as readonly string[]).includes(k));
  }

  /** Each replica's confirmed settings against the desired ones: confirmed, drift (key by key), starting or down. */
  settingsViews(): NodeSettingsView[] {
    return this.replicas.map((node) => node.settings.view(this.desiredSettings(node)));
  }

  /** Pushes to one running replica and reads back; returns what it ran before, or undefined when nothing was sent. */
  async pushTo(node: BrokerNode, keys: (keyof BrokerSettings)[], settings: BrokerSettings): Promise<BrokerSettingsPatch | undefined> {
    const before = node.settings.confirmed;
    if (!node.running || !node.address || !before) return undefined;
    const wanted = this.liveKeys(node, keys);
    if (wanted.length === 0) return undefined;
    try {
      await node.pushSettings(pick(settings, wanted));
    } catch (error) {
      throw new Error(`${node.name} (${node.role}) did not confirm the settings: ${(error as Error).message}`);
    }
    return pick(before, wanted);
  }

  /** Pushes every live key a replica runs otherwise than desired, then reads back. */
  async reconcile(node: BrokerNode): Promise<void> {
    const running = node.settings.confirmed;
    if (!node.address || !running) return;
    const live = this.liveKeys(node, Object.keys(running) as (keyof BrokerSettings)[]);
    const drift = settingsDrift(this.desiredSettings(node), running).filter((d) => live.includes(d.key));
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
   * it with `expected` key by key, brokerRole as each replica's role should be (expectedRole). Lists
   * every mismatch, or a replica that did not answer.
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
      const role = this.expectedRole(node, expected.brokerRole);
      const want = { ...expected, ...(role ? { brokerRole: role } : {}) };
      const drift: SettingDrift[] = settingsDrift(want, running).filter((d) => keys.includes(d.key) && (d.key !== 'brokerRole' || role !== undefined));
      if (drift.length > 0) mismatches.push(describeDrift(node.name, drift));
    }
    return mismatches;
  }

  // ---- views ----

  /** The group as the topology view shows it: every replica with its role and offsets. */
  groupView(): GroupView {
    const master = this.master;
    return {
      brokerName: this.options.brokerName,
      ...(master ? { master: master.name } : {}),
      replicas: this.replicas.map((node) => this.replicaView(node)),
      linkFaulted: false,
    };
  }

  protected replicaView(node: BrokerNode): ReplicaView {
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
      ...(ha?.controller ? { controller: ha.controller } : {}),
      diverged: ha?.divergence !== undefined,
      settings: node.settings.view(this.desiredSettings(node)).state,
    };
  }

  /** The last HA events of any replica, newest last. */
  recentEvents(): HaEvent[] {
    return [...this.events];
  }

  /** HA events of any replica: kept for the view; the ones worth a line in the event log recorded (rate-limited). */
  private noteEvent(node: BrokerNode, event: HaEvent): void {
    this.events.push(event);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
    const recorded = this.recordedEvent(node, event);
    if (!recorded) return;
    const key = `${node.name}:${event.kind}`;
    const now = Date.now();
    if ((this.lastRecordedMs.get(key) ?? -Infinity) > now - HA_EVENT_RECORD_INTERVAL_MS && recorded.rateLimited) return;
    this.lastRecordedMs.set(key, now);
    this.options.record(`ha.${event.kind}`, this.replicationSubject, recorded.message, recorded.marker);
  }

  /** How an HA event is recorded in the event log, if at all. */
  protected abstract recordedEvent(node: BrokerNode, event: HaEvent): { message: string; marker?: 'fault' | 'process'; rateLimited: boolean } | undefined;

  /** Stops every replica, the slaves first. */
  async close(): Promise<void> {
    for (const node of [...this.replicas].sort((a, b) => Number(a === this.master) - Number(b === this.master))) await node.close();
  }
}

/**
 * Pushes the changed live keys to every running replica of every group and reads back what each now
 * runs. When one refuses, those already changed are set back, and the error names the replica and
 * says which were set back.
 */
export async function pushSettingsToGroups(groups: readonly ReplicaGroup[], keys: (keyof BrokerSettings)[], settings: BrokerSettings): Promise<void> {
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
