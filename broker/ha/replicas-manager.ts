/**
 * A replica's side of controller mode (RocketMQ 5.x broker/controller/ReplicasManager.java): it
 * registers with the controller, heartbeats, and takes its role from the controller's answer, never
 * from its own configuration.
 *
 *  - Start-up: fenced (a SLAVE that refuses sends) until the controller named a master. Register
 *    (CONTROLLER_REGISTER_BROKER); with no master named, ask for an election (CONTROLLER_ELECT_MASTER:
 *    a group's first election makes the asker master), then take the role the answer gives.
 *  - Heartbeat every brokerHeartbeatInterval (BROKER_HEARTBEAT: epoch, max offset); read the group's
 *    record every syncBrokerMetadataPeriod (CONTROLLER_GET_REPLICA_INFO), and at once when the controller
 *    says so (NOTIFY_BROKER_ROLE_CHANGED). A record is applied only when its MasterEpoch is newer.
 *  - Master: cut a partial last record, append <epoch, end of log> to the epoch file, SYNC_MASTER,
 *    register with the name servers as brokerId 0. It keeps its SyncStateSet with the controller: a
 *    slave whose ack reaches the confirm offset joins (expand, at once), a slave silent or behind for
 *    haMaxTimeSlaveNotCatchup or disconnected leaves (shrink, checked every checkSyncStateSetPeriod).
 *    While a change waits for the controller, acks are counted over the old set and the proposed one
 *    together (the fix of apache/rocketmq#5663: a set confirmed by the controller but not yet by the
 *    master must already hold back what it acknowledges).
 *  - Slave: ask the master's epoch file (GET_BROKER_EPOCH_CACHE), compute the consistent point
 *    (epoch-file.ts). Nothing past it: take the master's epochs and replicate. Something past it (a
 *    diverged tail, or this replica was master of an epoch the group left): the replica asks its
 *    supervisor for a restart that first cuts the log there (a restart, not an in-process cut: the store's
 *    start-up truncation is the one path that rebuilds the consume queues from the log).
 *  - The controller moved the epoch and named nobody: a master stops taking sends (fenced) and asks
 *    for an election, as RocketMQ's brokers do.
 */
import type { Clock, Timer } from '../io/clock.js';
import type { Transport } from '../io/transport.js';
import { RequestCode, ResponseCode } from '../protocol/codes.js';
import { createRequest, createResponse, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import { consistentPoint, entriesWithin, type EpochEntry, type EpochFile } from './epoch-file.js';

export interface ControllerModeSettings {
  brokerHeartbeatInterval: number;
  syncBrokerMetadataPeriod: number;
  checkSyncStateSetPeriod: number;
  haMaxTimeSlaveNotCatchup: number;
  allAckInSyncStateSet: boolean;
}

/** What the replica does when its role changes (BrokerReplication in controller mode). */
export interface ReplicaRoleActions {
  /** becomes master: stop replicating, cut a partial last record, take sends as SYNC_MASTER; returns the log's end */
  becomeMaster(): number;
  /** stops taking sends at once (a master the controller no longer names) */
  fence(): void;
  /** replicates from the master at this HA address (a slave), after cutting a partial last record */
  follow(masterHaAddress: string): void;
  /** where the last whole record of the log ends (a replicated log may end inside one) */
  wholeRecordsEnd(): number;
  /** the slaves connected now: brokerId → acked offset */
  slaveAcks(): ReadonlyMap<number, number>;
  /** the slaves connected now: brokerId → when each last held all the master had shipped it (-1: never) */
  slaveCaughtUp(): ReadonlyMap<number, number>;
  maxPhyOffset(): number;
  /** the confirm offset moved: keep it in the store's checkpoint */
  storeConfirmOffset(offset: number): void;
}

export interface ReplicasManagerDeps {
  clusterName: string;
  brokerName: string;
  /** this replica's id with the controller (≥ 1) */
  brokerId: number;
  /** this replica's client port, host:port (where the controller's notices and a slave's epoch request reach it) */
  brokerAddress: string;
  /** where slaves connect to replicate from this replica, host:port */
  haAddress: string;
  controllerAddr: string;
  epochFile: EpochFile;
  actions: ReplicaRoleActions;
  settings: () => ControllerModeSettings;
  clock: Clock;
  transport: Transport;
  /** re-register with the name servers (the registered brokerId follows the role) */
  roleChanged: () => void;
  /** the log must be cut to `truncateTo` before this replica can follow the master: restart the process */
  restartTruncating: (truncateTo: number, epochs: EpochEntry[], reason: string) => void;
  log: (kind: 'role' | 'syncStateSet' | 'controller', message: string) => void;
}

export type ReplicaRole = 'FENCED' | 'MASTER' | 'SLAVE';

export interface ReplicaRecord {
  masterBrokerId: number;
  masterAddress: string;
  masterHaAddress: string;
  masterEpoch: number;
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

/** The controller's answer or notice as a record (masterBrokerId -1: no master). */
export function replicaRecordOf(command: RemotingCommand): ReplicaRecord {
  let body: { syncStateSet?: number[]; syncStateSetEpoch?: number } = {};
  try {
    body = command.body && command.body.length > 0 ? (JSON.parse(command.body.toString('utf8')) as typeof body) : {};
  } catch {
    body = {};
  }
  return {
    masterBrokerId: extNumber(command, 'masterBrokerId') ?? -1,
    masterAddress: extString(command, 'masterAddress') ?? '',
    masterHaAddress: extString(command, 'masterHaAddress') ?? '',
    masterEpoch: extNumber(command, 'masterEpoch') ?? 0,
    syncStateSet: Array.isArray(body.syncStateSet) ? body.syncStateSet : [],
    syncStateSetEpoch: body.syncStateSetEpoch ?? extNumber(command, 'syncStateSetEpoch') ?? 0,
  };
}

const CONTROLLER_TIMEOUT_MS = 3000;
const START_RETRY_MS = 1000;

export class ReplicasManager {
  private readonly client: RemotingClient;
  role: ReplicaRole = 'FENCED';
  masterEpoch = 0;
  masterBrokerId = -1;
  masterAddress = '';
  syncStateSet = new Set<number>();
  syncStateSetEpoch = 0;
  /** a SyncStateSet proposed to the controller and not answered yet, or whose answer was lost */
  private proposed: Set<number> | undefined;
  /** the proposal's answer was lost (timeout, connection): kept in the union until a record settles it (apache/rocketmq#5663) */
  private proposalOutcomeUnknown = false;
  /** the HA address this slave follows */
  private followedHaAddress: string | undefined;
  /** AutoSwitchHAService's confirm offset (see recomputeConfirm) */
  private haConfirm = 0;
  private registered = false;
  private stopped = false;
  private readonly timers: Timer[] = [];
  private startTimer: Timer | undefined;
  /** role changes and record applications run one at a time */
  private queue: Promise<void> = Promise.resolve();
  private lastProblem: string | undefined;

  constructor(private readonly deps: ReplicasManagerDeps) {
    this.client = new RemotingClient(() => {}, deps.clock, deps.transport);
  }

  start(): void {
    const s = this.deps.settings();
    this.timers.push(this.deps.clock.setInterval(() => void this.heartbeat(), s.brokerHeartbeatInterval).unref());
    this.timers.push(this.deps.clock.setInterval(() => void this.syncMetadata(), s.syncBrokerMetadataPeriod).unref());
    this.timers.push(this.deps.clock.setInterval(() => this.checkSyncStateSet(), s.checkSyncStateSetPeriod).unref());
    void this.startBasic();
  }

  shutdown(): void {
    this.stopped = true;
    this.startTimer?.cancel();
    for (const timer of this.timers) timer.cancel();
    this.client.close();
  }

  /** For the stats: what the controller last told this replica. */
  view(): { role: ReplicaRole; masterEpoch: number; masterBrokerId: number; syncStateSet: number[]; syncStateSetEpoch: number; confirmOffset: number; lastEpoch: number } {
    return {
      role: this.role, masterEpoch: this.masterEpoch, masterBrokerId: this.masterBrokerId,
      syncStateSet: [...this.syncStateSet].sort((a, b) => a - b), syncStateSetEpoch: this.syncStateSetEpoch,
      confirmOffset: this.confirmOffset(), lastEpoch: this.lastEpoch(),
    };
  }

  get isMaster(): boolean {
    return this.role === 'MASTER';
  }

  /** The SyncStateSet acks are counted over: the confirmed one, with the proposed one while a change is pending. */
  inSyncMembers(): Set<number> {
    return this.proposed ? new Set([...this.syncStateSet, ...this.proposed]) : this.syncStateSet;
  }

  /** RocketMQ's inSyncReplicasNums while a change is pending: the larger of the two sets. */
  inSyncReplicasNums(): number {
    return Math.max(this.syncStateSet.size, this.proposed?.size ?? 0);
  }

  /**
   * The confirm offset consumers may read to (CommitLog.getConfirmOffset): the log's end, unless
   * allAckInSyncStateSet with other members in the SyncStateSet, then what every member holds.
   */
  confirmOffset(): number {
    if (!this.deps.settings().allAckInSyncStateSet) return this.deps.actions.maxPhyOffset();
    // A replica not (yet, or no longer) master keeps the last confirm offset it knew: a fenced master's
    // unconfirmed tail must not become readable (RocketMQ: the stored value on a SLAVE or fenced broker).
    if (this.role === 'FENCED') return this.haConfirm;
    if (!this.isMaster || this.syncStateSet.size <= 1) return this.deps.actions.maxPhyOffset();
    return this.haConfirm;
  }

  /**
   * AutoSwitchHAService.computeConfirmOffset: the smallest ack of the SyncStateSet's connected
   * members, at most the log's end; a member with no connection keeps the last value
   * (apache/rocketmq#6662). Recomputed when a member acks, the set changes, or this replica becomes master.
   */
  private recomputeConfirm(): void {
    const acks = this.deps.actions.slaveAcks();
    let confirm = this.deps.actions.maxPhyOffset();
    for (const id of this.inSyncMembers()) {
      if (id === this.deps.brokerId) continue;
      const ack = acks.get(id);
      if (ack === undefined) return;
      confirm = Math.min(confirm, ack);
    }
    if (confirm <= this.haConfirm) return;
    this.haConfirm = confirm;
    this.deps.actions.storeConfirmOffset(confirm);
  }

  /**
   * NOTIFY_BROKER_ROLE_CHANGED. The notice only makes the replica read the record from the controller
   * now (RocketMQ applies the notice itself): anyone who reaches the client port could send one, and
   * a forged epoch must not make a replica follow a master the controller never named.
   */
  onNotify(request: RemotingCommand): RemotingCommand {
    void this.syncMetadata();
    return createResponse(request, ResponseCode.SUCCESS);
  }

  /** A slave acked `ack`: it may join the SyncStateSet (its ack reached the confirm offset and this epoch). */
  onSlaveAck(brokerId: number, ack: number): void {
    if (!this.isMaster) return;
    const members = this.inSyncMembers();
    if (members.has(brokerId)) {
      this.recomputeConfirm();
      return;
    }
    if (this.proposed) return;
    const epochStart = this.deps.epochFile.all().at(-1)?.startOffset ?? 0;
    if (ack >= this.confirmOffset() && ack >= epochStart) this.propose(new Set([...this.syncStateSet, brokerId]), `brokerId ${brokerId} caught up (ack ${ack})`);
  }

  /** A slave's replication link closed: it leaves the SyncStateSet. */
  onSlaveGone(brokerId: number): void {
    if (!this.isMaster || !this.syncStateSet.has(brokerId) || this.proposed) return;
    const next = new Set(this.syncStateSet);
    next.delete(brokerId);
    this.propose(next, `brokerId ${brokerId} disconnected`);
  }

  private async startBasic(): Promise<void> {
    if (this.stopped) return;
    try {
      const answer = await this.call(RequestCode.CONTROLLER_REGISTER_BROKER, {
        clusterName: this.deps.clusterName, brokerName: this.deps.brokerName, brokerId: this.deps.brokerId,
        brokerAddress: this.deps.brokerAddress, haAddress: this.deps.haAddress,
        maxOffset: this.deps.actions.maxPhyOffset(), epoch: this.lastEpoch(), invokeTime: this.deps.clock.nowMs(),
      });
      if (answer.code !== ResponseCode.SUCCESS) throw new Error(`registration refused (${answer.code}): ${answer.remark ?? ''}`);
      this.registered = true;
      let record = replicaRecordOf(answer);
      if (record.masterBrokerId < 0) {
        const elected = await this.call(RequestCode.CONTROLLER_ELECT_MASTER, { clusterName: this.deps.clusterName, brokerName: this.deps.brokerName, brokerId: this.deps.brokerId, invokeTime: this.deps.clock.nowMs() });
        if (elected.code !== ResponseCode.SUCCESS && elected.code !== ResponseCode.CONTROLLER_MASTER_STILL_EXIST) {
          throw new Error(`no master yet: ${elected.remark ?? `code ${elected.code}`}`);
        }
        record = replicaRecordOf(elected);
      }
      this.apply(record, 'registered with the controller');
    } catch (error) {
      this.logOnce(`${(error as Error).message}; retrying every ${START_RETRY_MS} ms`);
      this.startTimer = this.deps.clock.setTimeout(() => void this.startBasic(), START_RETRY_MS);
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped || !this.registered) return;
    try {
      const answer = await this.call(RequestCode.BROKER_HEARTBEAT, {
        clusterName: this.deps.clusterName, brokerName: this.deps.brokerName, brokerId: this.deps.brokerId, brokerAddr: this.deps.brokerAddress,
        epoch: this.lastEpoch(), maxOffset: this.deps.actions.maxPhyOffset(), confirmOffset: this.confirmOffset(),
      });
      if (answer.code === ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED) {
        this.registered = false;
        void this.startBasic();
      }
    } catch {
      // The controller is down or unreachable: the role stays as it is (RocketMQ's brokers do the same).
    }
  }

  private async syncMetadata(): Promise<void> {
    if (this.stopped || !this.registered) return;
    try {
      const answer = await this.call(RequestCode.CONTROLLER_GET_REPLICA_INFO, { brokerName: this.deps.brokerName });
      if (answer.code !== ResponseCode.SUCCESS) return;
      const record = replicaRecordOf(answer);
      if (record.masterBrokerId < 0 && record.masterEpoch >= this.masterEpoch) {
        this.apply(record, 'the group has no master');
        await this.call(RequestCode.CONTROLLER_ELECT_MASTER, { clusterName: this.deps.clusterName, brokerName: this.deps.brokerName, brokerId: this.deps.brokerId, invokeTime: this.deps.clock.nowMs() });
        return;
      }
      this.apply(record, 'the controller\'s record');
    } catch {
      // unreachable now: the next period tries again
    }
  }

  /** Applies a record of the group, one at a time; only a newer epoch changes the role. */
  apply(record: ReplicaRecord, why: string): void {
    this.queue = this.queue.then(() => this.applyNow(record, why)).catch((error: unknown) => {
      this.logOnce(`could not apply the controller's record (${why}): ${(error as Error).message}`);
    });
  }

  private async applyNow(record: ReplicaRecord, why: string): Promise<void> {
    if (this.stopped) return;
    if (record.masterEpoch < this.masterEpoch) return;
    if (record.masterEpoch === this.masterEpoch) {
      // Same epoch: only a newer SyncStateSet of this master matters (or a slave that never followed).
      if (this.isMaster && record.syncStateSetEpoch > this.syncStateSetEpoch) {
        this.setSyncStateSet(record.syncStateSet, record.syncStateSetEpoch);
        this.clearProposal();
      } else if (this.isMaster && this.proposalOutcomeUnknown && record.syncStateSetEpoch === this.syncStateSetEpoch) {
        // The controller did not take the proposal whose answer was lost: the union is no longer needed.
        this.clearProposal();
      }
      // A slave whose master restarted at the same epoch (another HA address) follows it again.
      const refollow = this.role === 'SLAVE' && record.masterBrokerId >= 0 && record.masterBrokerId !== this.deps.brokerId && record.masterHaAddress !== this.followedHaAddress;
      if (!refollow && (this.role !== 'FENCED' || record.masterBrokerId < 0)) return;
    }
    if (record.masterBrokerId < 0) {
      this.masterEpoch = record.masterEpoch;
      if (this.role === 'MASTER') {
        this.deps.actions.fence();
        this.role = 'FENCED';
        this.deps.log('role', `fenced: the controller moved ${this.deps.brokerName} to epoch ${record.masterEpoch} without a master (${why})`);
        this.deps.roleChanged();
      }
      return;
    }
    if (record.masterBrokerId === this.deps.brokerId) return this.changeToMaster(record, why);
    return this.changeToSlave(record, why);
  }

  private changeToMaster(record: ReplicaRecord, why: string): void {
    const was = this.role;
    // Already master (re-elected at a newer epoch, as RocketMQ's changeToMasterWhenLastRoleIsMaster):
    // nothing is cut, the new epoch starts at the log's end. Otherwise the replica takes the role
    // first (a replicating slave cuts a partial last record), then records its epoch; a replica that
    // cannot record it gives the role back at once.
    const end = was === 'MASTER' ? this.deps.actions.maxPhyOffset() : this.deps.actions.becomeMaster();
    try {
      if (this.lastEpoch() < record.masterEpoch) this.deps.epochFile.append(record.masterEpoch, end);
    } catch (error) {
      this.deps.actions.fence();
      this.role = 'FENCED';
      throw error;
    }
    this.masterEpoch = record.masterEpoch;
    this.masterBrokerId = this.deps.brokerId;
    this.masterAddress = this.deps.brokerAddress;
    this.clearProposal();
    // What a new master may count as held by its SyncStateSet: all of its log when it is alone,
    // else only what the members ack from now on (recomputeConfirm raises it).
    if (was !== 'MASTER') this.haConfirm = record.syncStateSet.length <= 1 ? end : 0;
    this.setSyncStateSet(record.syncStateSet, record.syncStateSetEpoch);
    this.role = 'MASTER';
    this.lastProblem = undefined;
    this.deps.log('role', `${was === 'MASTER' ? 'still' : 'became'} master of ${this.deps.brokerName}, epoch ${record.masterEpoch}, from commit-log offset ${end} (${why})`);
    this.deps.roleChanged();
  }

  private async changeToSlave(record: ReplicaRecord, why: string): Promise<void> {
    if (this.role === 'MASTER') {
      this.deps.actions.fence();
      this.role = 'FENCED';
      this.deps.log('role', `no longer master: brokerId ${record.masterBrokerId} is master of epoch ${record.masterEpoch} (${why})`);
      this.deps.roleChanged();
    }
    const cache = await this.call(RequestCode.GET_BROKER_EPOCH_CACHE, {}, record.masterAddress);
    if (cache.code !== ResponseCode.SUCCESS) throw new Error(`the master's epoch file could not be read: ${cache.remark ?? cache.code}`);
    const remote = JSON.parse(cache.body?.toString('utf8') ?? '{}') as { epochList?: EpochEntry[]; maxOffset?: number };
    const remoteEntries = (remote.epochList ?? []).map((e) => ({ epoch: e.epoch, startOffset: e.startOffset }));
    const localMax = this.deps.actions.wholeRecordsEnd();
    const point = consistentPoint(this.deps.epochFile.all(), localMax, remoteEntries, remote.maxOffset ?? 0);
    if (point < localMax) {
      this.deps.log('role', `diverged from the master of epoch ${record.masterEpoch}: this log ends at ${localMax}, the logs agree to ${point}; restarting to cut ${localMax - point} bytes`);
      this.stopped = true;
      this.deps.restartTruncating(point, entriesWithin(remoteEntries, point), `truncate to the consistent point ${point} with the master of epoch ${record.masterEpoch}`);
      return;
    }
    this.deps.epochFile.replaceWith(remoteEntries, Infinity);
    this.followedHaAddress = record.masterHaAddress;
    this.masterEpoch = record.masterEpoch;
    this.masterBrokerId = record.masterBrokerId;
    this.masterAddress = record.masterAddress;
    this.syncStateSet = new Set(record.syncStateSet);
    this.syncStateSetEpoch = record.syncStateSetEpoch;
    this.deps.actions.follow(record.masterHaAddress);
    this.role = 'SLAVE';
    this.lastProblem = undefined;
    this.deps.log('role', `slave of brokerId ${record.masterBrokerId} (epoch ${record.masterEpoch}) at ${record.masterHaAddress}, from offset ${localMax} (${why})`);
    this.deps.roleChanged();
  }

  private setSyncStateSet(members: number[], epoch: number): void {
    this.syncStateSet = new Set(members);
    this.syncStateSetEpoch = epoch;
    if (this.isMaster) this.recomputeConfirm();
    this.deps.log('syncStateSet', `SyncStateSet {${members.join(', ')}}, epoch ${epoch}`);
  }

  /** Shrink: members behind or silent for haMaxTimeSlaveNotCatchup, or not connected. */
  private checkSyncStateSet(): void {
    if (!this.isMaster || this.proposed) return;
    const now = this.deps.clock.nowMs();
    const limit = this.deps.settings().haMaxTimeSlaveNotCatchup;
    const caughtUp = this.deps.actions.slaveCaughtUp();
    const next = new Set([...this.syncStateSet].filter((id) => {
      if (id === this.deps.brokerId) return true;
      const at = caughtUp.get(id);
      return at !== undefined && at >= 0 && now - at <= limit;
    }));
    next.add(this.deps.brokerId);
    if (next.size !== this.syncStateSet.size) this.propose(next, `members not caught up for ${limit} ms left`);
  }

  private propose(next: Set<number>, why: string): void {
    this.proposed = next;
    this.proposalOutcomeUnknown = false;
    const members = [...next].sort((a, b) => a - b);
    const request = createRequest(RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET, {
      brokerName: this.deps.brokerName, masterBrokerId: this.deps.brokerId, masterEpoch: this.masterEpoch, invokeTime: this.deps.clock.nowMs(),
    }, Buffer.from(JSON.stringify({ syncStateSet: members, syncStateSetEpoch: this.syncStateSetEpoch })));
    this.client.invoke(this.deps.controllerAddr, request, CONTROLLER_TIMEOUT_MS).then((answer) => {
      if (this.proposed !== next) return;
      if (answer.code === ResponseCode.SUCCESS) {
        const record = replicaRecordOf(answer);
        this.clearProposal();
        if (this.isMaster) this.setSyncStateSet(record.syncStateSet, record.syncStateSetEpoch);
        // One change at a time: a slave that caught up meanwhile is proposed now, not at its next report.
        for (const [id, ack] of this.deps.actions.slaveAcks()) this.onSlaveAck(id, ack);
      } else {
        // Refused: the controller did not take it.
        this.clearProposal();
        this.deps.log('syncStateSet', `the controller refused SyncStateSet {${members.join(', ')}} (${why}): ${answer.remark ?? answer.code}`);
        void this.syncMetadata();
      }
    }, (error: Error) => {
      // No answer: the controller may have taken it. Acks keep counting over both sets until the
      // controller's record says which (the next metadata read).
      if (this.proposed === next) this.proposalOutcomeUnknown = true;
      this.deps.log('syncStateSet', `SyncStateSet {${members.join(', ')}} not confirmed (${why}): ${error.message}`);
    });
  }

  private clearProposal(): void {
    this.proposed = undefined;
    this.proposalOutcomeUnknown = false;
  }

  /** A controller problem is reported once, not at every retry, until another one (or a success) comes. */
  private logOnce(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.deps.log('controller', message);
  }

  private lastEpoch(): number {
    return this.deps.epochFile.lastEpoch(this.deps.actions.maxPhyOffset());
  }

  private call(code: number, fields: Record<string, string | number | boolean>, address = this.deps.controllerAddr): Promise<RemotingCommand> {
    return this.client.invoke(address, createRequest(code, fields), CONTROLLER_TIMEOUT_MS);
  }
}
