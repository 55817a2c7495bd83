/**
 * The controller's record of every broker group in controller mode (RocketMQ 5.x RIP-44:
 * controller/impl/manager/ReplicasInfoManager.java, SyncStateInfo, BrokerReplicaInfo, and the
 * heartbeat manager's liveness): per group the replicas, the master, a monotonic MasterEpoch and the
 * SyncStateSet (the master and the replicas caught up with it) with its own epoch.
 *
 * Only this object decides who is master. It is a pure state machine over a Clock: the controller
 * process (controller-server.ts) feeds it registrations, heartbeats and requests, persists
 * `durable()` after every change (RocketMQ keeps it in a Raft log; one controller here, see
 * docs/architecture.md#controller-mode) and tells the replicas what it answers.
 *
 * Election (DefaultElectPolicy): the candidates are the alive members of the SyncStateSet; with
 * enableElectUncleanMaster, when none is alive, any alive replica. Among them the one with the
 * highest last epoch, then the highest max offset, then the lowest brokerId (RocketMQ: the lowest
 * brokerElectionPriority, which Zeroloss does not set). The first election of a group (no master
 * ever) takes the replica that asks: nothing was acknowledged yet.
 */
import type { ControllerSettings as ControllerKeys } from '../config/broker-config.js';

export interface ReplicaAddress {
  brokerId: number;
  /** the client port, host:port */
  address: string;
  /** where a slave connects to replicate from it, host:port */
  haAddress: string;
}

export interface GroupRecord {
  clusterName: string;
  brokerName: string;
  replicas: ReplicaAddress[];
  /** null: no master (none elected yet, or no candidate when it was lost) */
  masterBrokerId: number | null;
  masterEpoch: number;
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

/** What the controller persists: enough to answer exactly as before after its own restart. */
export interface ControllerDurableState {
  groups: GroupRecord[];
}

/** What a replica last told the controller about itself; kept in memory only, as RocketMQ's heartbeat manager does. */
export interface ReplicaLiveness {
  lastHeartbeatMs: number;
  maxOffset: number;
  /** the last epoch in the replica's epoch file (0: none) */
  lastEpoch: number;
  alive: boolean;
}

/** what elections read (broker/config/broker-config.ts#controllerSettings) */
export type ControllerSettings = Pick<ControllerKeys, 'enableElectUncleanMaster' | 'controllerHeartBeatTimeoutMills'>;

export interface ReplicaInfo {
  brokerName: string;
  masterBrokerId: number | null;
  masterAddress: string;
  masterHaAddress: string;
  masterEpoch: number;
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

export interface ElectionResult {
  /** the group's record after the election (a new master, the same master, or none) */
  info: ReplicaInfo;
  changed: boolean;
  /** an alive replica outside the SyncStateSet was elected (enableElectUncleanMaster) */
  unclean: boolean;
  /** why nobody was elected, when nobody was */
  noCandidate?: string;
}

/** A refusal the controller answers with a RocketMQ controller response code (broker/protocol/codes.ts). */
export class ControllerRefusal extends Error {
  constructor(readonly code: 'CONTROLLER_FENCED_MASTER_EPOCH' | 'CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH' | 'CONTROLLER_INVALID_MASTER' | 'CONTROLLER_INVALID_REPLICAS' | 'CONTROLLER_INVALID_REQUEST' | 'CONTROLLER_MASTER_NOT_AVAILABLE', message: string) {
    super(message);
  }
}

const key = (brokerName: string, brokerId: number) => `${brokerName}/${brokerId}`;

export class ReplicasInfo {
  private readonly groups = new Map<string, GroupRecord>();
  private readonly liveness = new Map<string, ReplicaLiveness>();

  constructor(private readonly settings: () => ControllerSettings, durable?: ControllerDurableState) {
    for (const g of durable?.groups ?? []) this.groups.set(g.brokerName, structuredClone(g));
  }

  durable(): ControllerDurableState {
    return { groups: [...this.groups.values()].map((g) => structuredClone(g)) };
  }

  groupNames(): string[] {
    return [...this.groups.keys()].sort();
  }

  /**
   * A replica announces itself (CONTROLLER_REGISTER_BROKER): its addresses and where its log ends.
   * It counts as alive from now. Returns the group's record.
   */
  register(clusterName: string, brokerName: string, replica: ReplicaAddress, state: { maxOffset: number; lastEpoch: number }, nowMs: number): ReplicaInfo {
    if (!Number.isSafeInteger(replica.brokerId) || replica.brokerId < 1) {
      throw new ControllerRefusal('CONTROLLER_INVALID_REQUEST', `brokerId must be a whole number of at least 1 in controller mode (got ${replica.brokerId})`);
    }
    let group = this.groups.get(brokerName);
    if (!group) {
      group = { clusterName, brokerName, replicas: [], masterBrokerId: null, masterEpoch: 0, syncStateSet: [], syncStateSetEpoch: 0 };
      this.groups.set(brokerName, group);
    }
    const known = group.replicas.find((r) => r.brokerId === replica.brokerId);
    if (known) Object.assign(known, replica);
    else group.replicas.push({ ...replica });
    group.replicas.sort((a, b) => a.brokerId - b.brokerId);
    this.liveness.set(key(brokerName, replica.brokerId), { lastHeartbeatMs: nowMs, maxOffset: state.maxOffset, lastEpoch: state.lastEpoch, alive: true });
    return this.info(brokerName);
  }

  /**
   * A replica's heartbeat (BROKER_HEARTBEAT): alive from now, also after a restart of the controller
   * (liveness is not persisted). Its epoch and max offset only move forward, as in RocketMQ's
   * heartbeat manager. False when the group's record has no such replica (it must register).
   */
  heartbeat(brokerName: string, brokerId: number, state: { maxOffset: number; lastEpoch: number }, nowMs: number): boolean {
    if (!this.groups.get(brokerName)?.replicas.some((r) => r.brokerId === brokerId)) return false;
    const live = this.liveness.get(key(brokerName, brokerId));
    if (!live) {
      this.liveness.set(key(brokerName, brokerId), { lastHeartbeatMs: nowMs, maxOffset: state.maxOffset, lastEpoch: state.lastEpoch, alive: true });
      return true;
    }
    live.lastHeartbeatMs = nowMs;
    live.alive = true;
    if (state.lastEpoch > live.lastEpoch || (state.lastEpoch === live.lastEpoch && state.maxOffset > live.maxOffset)) {
      live.lastEpoch = state.lastEpoch;
      live.maxOffset = state.maxOffset;
    }
    return true;
  }

  isAlive(brokerName: string, brokerId: number): boolean {
    return this.liveness.get(key(brokerName, brokerId))?.alive ?? false;
  }

  livenessOf(brokerName: string, brokerId: number): ReplicaLiveness | undefined {
    const live = this.liveness.get(key(brokerName, brokerId));
    return live ? { ...live } : undefined;
  }

  /**
   * Marks replicas silent for controllerHeartBeatTimeoutMills inactive (scanNotActiveBroker).
   * Returns the groups whose master just became inactive: the caller elects in each.
   */
  scanInactive(nowMs: number): { brokerName: string; brokerId: number; wasMaster: boolean }[] {
    const timeout = this.settings().controllerHeartBeatTimeoutMills;
    const gone: { brokerName: string; brokerId: number; wasMaster: boolean }[] = [];
    for (const group of this.groups.values()) {
      for (const r of group.replicas) {
        const live = this.liveness.get(key(group.brokerName, r.brokerId));
        if (!live?.alive || nowMs - live.lastHeartbeatMs <= timeout) continue;
        live.alive = false;
        gone.push({ brokerName: group.brokerName, brokerId: r.brokerId, wasMaster: group.masterBrokerId === r.brokerId });
      }
    }
    return gone;
  }

  /** A replica's connection to the controller closed: inactive now (RocketMQ's channel-close path). */
  markInactive(brokerName: string, brokerId: number): boolean {
    const live = this.liveness.get(key(brokerName, brokerId));
    if (!live?.alive) return false;
    live.alive = false;
    return this.groups.get(brokerName)?.masterBrokerId === brokerId;
  }

  info(brokerName: string): ReplicaInfo {
    const group = this.groups.get(brokerName);
    if (!group) throw new ControllerRefusal('CONTROLLER_INVALID_REQUEST', `no broker group named ${brokerName} has registered with this controller`);
    const master = group.replicas.find((r) => r.brokerId === group.masterBrokerId);
    return {
      brokerName,
      masterBrokerId: group.masterBrokerId,
      masterAddress: master?.address ?? '',
      masterHaAddress: master?.haAddress ?? '',
      masterEpoch: group.masterEpoch,
      syncStateSet: [...group.syncStateSet],
      syncStateSetEpoch: group.syncStateSetEpoch,
    };
  }

  replicas(brokerName: string): ReplicaAddress[] {
    return (this.groups.get(brokerName)?.replicas ?? []).map((r) => ({ ...r }));
  }

  /**
   * Elects a master for the group unless an alive one is in place (CONTROLLER_ELECT_MASTER from a
   * replica, `requester` its brokerId; the inactive-master scan, `requester` null). A group's first
   * election makes the replica that asks its master, as RocketMQ's bootstrap does. A new master starts
   * a new epoch with itself as the whole SyncStateSet. When nobody can be elected, a scan's election
   * leaves the group without a master and still moves its epoch (the old master is fenced); a
   * replica's request changes nothing.
   */
  electMaster(brokerName: string, requester: number | null): ElectionResult {
    const group = this.groups.get(brokerName);
    if (!group) throw new ControllerRefusal('CONTROLLER_INVALID_REQUEST', `no broker group named ${brokerName} has registered with this controller`);
    if (group.masterBrokerId !== null && this.isAlive(brokerName, group.masterBrokerId)) {
      return { info: this.info(brokerName), changed: false, unclean: false };
    }
    let elected: number | undefined;
    let unclean = false;
    if (group.masterEpoch === 0 && requester !== null && group.replicas.some((r) => r.brokerId === requester)) {
      elected = requester;
    } else {
      const alive = group.replicas.filter((r) => this.isAlive(brokerName, r.brokerId)).map((r) => r.brokerId);
      const rank = (id: number) => this.liveness.get(key(brokerName, id))!;
      const best = (ids: number[]) => [...ids].sort((a, b) => rank(b).lastEpoch - rank(a).lastEpoch || rank(b).maxOffset - rank(a).maxOffset || a - b)[0];
      const inSync = group.masterEpoch === 0 ? alive : alive.filter((id) => group.syncStateSet.includes(id));
      elected = best(inSync);
      if (elected === undefined && this.settings().enableElectUncleanMaster) {
        elected = best(alive);
        unclean = elected !== undefined;
      }
      if (elected === undefined) {
        const noCandidate = alive.length === 0
          ? 'no replica of the group is alive'
          : `no alive replica is in the SyncStateSet {${group.syncStateSet.join(', ')}} (alive: ${alive.join(', ')}; enableElectUncleanMaster is false)`;
        if (requester !== null) return { info: this.info(brokerName), changed: false, unclean: false, noCandidate };
        group.masterBrokerId = null;
        group.masterEpoch++;
        return { info: this.info(brokerName), changed: true, unclean: false, noCandidate };
      }
    }
    group.masterBrokerId = elected;
    group.masterEpoch++;
    group.syncStateSet = [elected];
    group.syncStateSetEpoch++;
    return { info: this.info(brokerName), changed: true, unclean };
  }

  /**
   * Groups whose recorded master is not alive while another replica is
   * (scanInactiveMasterAndTriggerReelect): each needs an election. A master without a heartbeat yet
   * is given `graceMs` from `sinceMs` (a restarted controller has heard from nobody).
   */
  groupsWithInactiveMaster(nowMs: number, sinceMs: number, graceMs: number): string[] {
    if (nowMs - sinceMs < graceMs) return [];
    return [...this.groups.values()]
      .filter((g) => g.masterBrokerId !== null && !this.isAlive(g.brokerName, g.masterBrokerId) && g.replicas.some((r) => this.isAlive(g.brokerName, r.brokerId)))
      .map((g) => g.brokerName);
  }

  /**
   * The master asks to change its SyncStateSet (CONTROLLER_ALTER_SYNC_STATE_SET). Fenced: only the
   * current master, at the current master epoch and SyncStateSet epoch; the new set must hold the
   * master and only registered, alive replicas. Returns the new record.
   */
  alterSyncStateSet(brokerName: string, request: { masterBrokerId: number; masterEpoch: number; syncStateSetEpoch: number; syncStateSet: number[] }): ReplicaInfo {
    const group = this.groups.get(brokerName);
    if (!group) throw new ControllerRefusal('CONTROLLER_INVALID_REQUEST', `no broker group named ${brokerName} has registered with this controller`);
    if (group.masterBrokerId !== request.masterBrokerId) {
      throw new ControllerRefusal('CONTROLLER_INVALID_MASTER', `brokerId ${request.masterBrokerId} is not the master of ${brokerName} (the master is ${group.masterBrokerId ?? 'none'})`);
    }
    if (request.masterEpoch !== group.masterEpoch) {
      throw new ControllerRefusal('CONTROLLER_FENCED_MASTER_EPOCH', `masterEpoch ${request.masterEpoch} is not ${brokerName}'s current epoch ${group.masterEpoch}`);
    }
    if (request.syncStateSetEpoch !== group.syncStateSetEpoch) {
      throw new ControllerRefusal('CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH', `syncStateSetEpoch ${request.syncStateSetEpoch} is not ${brokerName}'s current ${group.syncStateSetEpoch}`);
    }
    const set = [...new Set(request.syncStateSet)].sort((a, b) => a - b);
    if (!set.includes(request.masterBrokerId)) {
      throw new ControllerRefusal('CONTROLLER_INVALID_REPLICAS', `the SyncStateSet {${set.join(', ')}} must contain the master ${request.masterBrokerId}`);
    }
    for (const id of set) {
      if (!group.replicas.some((r) => r.brokerId === id)) throw new ControllerRefusal('CONTROLLER_INVALID_REPLICAS', `brokerId ${id} is not a replica of ${brokerName}`);
      if (id !== request.masterBrokerId && !this.isAlive(brokerName, id)) throw new ControllerRefusal('CONTROLLER_INVALID_REPLICAS', `brokerId ${id} of ${brokerName} is not alive`);
    }
    group.syncStateSet = set;
    group.syncStateSetEpoch++;
    return this.info(brokerName);
  }
}
