/**
 * HAService: the master side of classic replication (S/ha/HAService.java, 4.x semantics ≥ 4.9.3,
 * docs/rocketmq-semantics.md#when-each-status-is-returned, #replication). Owns the HA listener, one HAConnection per slave, the
 * GroupTransferService, push2SlaveMaxOffset, the replica wait installed into the store, and the
 * replication-lag figures. It does not own the store or the role: brokerRole is re-read on every put,
 * so an ASYNC_MASTER ↔ SYNC_MASTER flip applies to the very next send.
 *
 * The replica wait, per put (wroteOffset + wroteBytes = nextOffset):
 *   role ≠ SYNC_MASTER                                   → PUT_OK at once
 *   no slave connected, or nextOffset − ack ≥ haMaxGapNotInSync → SLAVE_NOT_AVAILABLE at once
 *   else wait until a slave acked ≥ nextOffset            → PUT_OK, or FLUSH_SLAVE_TIMEOUT after slaveTimeout
 * The flush wait runs beside it in CommitLog.putMessage, where the replica status wins.
 *
 * Bounds: at most HA_MAX_SLAVE_CONNECTIONS slaves (a further one is closed at once), the transfer
 * waiters (GroupTransferService), the lag tracker.
 */
import type { BrokerSettings } from '../config/broker-config.js';
import type { Clock, Timer } from '../io/clock.js';
import { realTransport, type Connection, type Listener, type Transport } from '../io/transport.js';
import { PutMessageStatus } from '../protocol/codes.js';
import type { DefaultMessageStore } from '../store/message-store.js';
import { GroupTransferService } from './group-transfer-service.js';
import { HAConnection } from './ha-connection.js';
import type { HaEvent, HaEventKind, HaListeners, HaStats } from './ha-types.js';
import { ReplicationLagTracker } from './replication-lag.js';
import type { LabBugSet } from '../lab-bugs.js';

export const HA_MAX_SLAVE_CONNECTIONS = 8;
/** How often heartbeats and housekeeping are looked at. */
const HOUSEKEEPING_TICK_MS = 100;

export interface HAServiceDeps {
  store: DefaultMessageStore;
  settings: () => BrokerSettings;
  clock: Clock;
  /** the network the HA listener runs on; realTransport when absent */
  transport?: Transport;
  listeners?: HaListeners;
  /** deliberate bugs switched on in this process (broker/lab-bugs.ts) */
  labBugs?: LabBugSet;
  /** controller mode: the SyncStateSet decides the wait and the confirm offset (replicas-manager.ts) */
  controllerMode?: ControllerModeHa;
}

/**
 * What HAService asks of the replica's controller-mode state. The wait of one put, as RocketMQ 5's
 * CommitLog.handleHA: allAckInSyncStateSet → every other SyncStateSet member acked it; otherwise
 * inSyncReplicas - 1 slaves (any) acked it; 1 or less → no wait. No SLAVE_NOT_AVAILABLE here: a
 * SyncStateSet smaller than minInSyncReplicas is refused before the write (IN_SYNC_REPLICAS_NOT_ENOUGH).
 */
export interface ControllerModeHa {
  selfId: number;
  /** accepting slaves and answering puts as the group's master */
  isMaster(): boolean;
  /** the SyncStateSet acks are counted over (the master included) */
  members(): ReadonlySet<number>;
  allAckInSyncStateSet(): boolean;
  inSyncReplicas(): number;
  /** what consumers may read up to */
  confirmOffset(): number;
  /** a slave reported `ack` (every report, advancing or not) */
  slaveAck(brokerId: number, ack: number): void;
  slaveGone(brokerId: number): void;
}

export class HAService {
  private readonly deps: HAServiceDeps;
  private listener: Listener | undefined;
  private readonly connections = new Set<HAConnection>();
  groupTransferService: GroupTransferService;
  private readonly lag = new ReplicationLagTracker();
  /** highest offset a slave acked (4.x keeps it across connections, as here) */
  private push2SlaveMaxOffset = -1;
  /** classic mode: the log's end at start, or the furthest shipped since (ha-connection.ts, vouchedOffset) */
  private vouchedOffset = 0;
  private housekeepingTimer: Timer | undefined;
  private wakeScheduled = false;
  private stopped = false;
  badFrames = 0;
  lastBadFrame: string | undefined;
  port = 0;

  constructor(deps: HAServiceDeps) {
    this.deps = deps;
    this.groupTransferService = this.newGroupTransferService();
  }

  private newGroupTransferService(): GroupTransferService {
    return new GroupTransferService({
      ackedOffset: () => this.reachedOffset(),
      slaveTimeoutMs: () => this.deps.settings().slaveTimeout,
      clock: this.deps.clock,
    });
  }

  /** How far the acks that answer a put reach: the best slave's (classic), or the SyncStateSet rule's. */
  private reachedOffset(): number {
    const cm = this.deps.controllerMode;
    if (!cm) return this.connectedAckOffset();
    const acks = this.slaveAcks();
    if (cm.allAckInSyncStateSet()) {
      let reached = Infinity;
      for (const id of cm.members()) if (id !== cm.selfId) reached = Math.min(reached, acks.get(id) ?? -1);
      return reached === Infinity ? this.deps.store.maxPhyOffset() : reached;
    }
    const sorted = [...acks.values()].sort((a, b) => b - a);
    return cm.inSyncReplicas() <= 1 ? this.deps.store.maxPhyOffset() : (sorted[cm.inSyncReplicas() - 2] ?? -1);
  }

  /** Controller mode: the replicas connected now, brokerId → when each last caught up (-1: never). */
  slaveCaughtUp(): Map<number, number> {
    const at = new Map<number, number>();
    for (const c of this.connections) if (c.state === 'TRANSFER' && c.slaveBrokerId !== undefined) at.set(c.slaveBrokerId, Math.max(at.get(c.slaveBrokerId) ?? -1, c.lastCaughtUpMs));
    return at;
  }

  /** Controller mode: the replicas connected now, brokerId → acked offset. */
  slaveAcks(): Map<number, number> {
    const acks = new Map<number, number>();
    for (const c of this.connections) {
      if (c.state === 'TRANSFER' && c.slaveBrokerId !== undefined) acks.set(c.slaveBrokerId, Math.max(acks.get(c.slaveBrokerId) ?? -1, c.slaveAckOffset));
    }
    return acks;
  }

  /**
   * Controller mode: this replica is no longer master. Every slave link closes, and every put still
   * waiting for acks is answered FLUSH_SLAVE_TIMEOUT (its record is written, its replication unconfirmed).
   */
  fence(): void {
    this.groupTransferService.shutdown(-1);
    this.groupTransferService = this.newGroupTransferService();
    for (const connection of [...this.connections]) connection.close('this replica is no longer the master');
  }

  /** Listens on `port` (0 = a free one) and installs the replica wait into the store. */
  async start(port: number, host = '127.0.0.1'): Promise<number> {
    const transport = this.deps.transport ?? realTransport;
    this.vouchedOffset = this.deps.store.maxPhyOffset();
    this.listener = await transport.listen({ host, port }, (socket) => this.accept(socket));
    this.port = this.listener.port;
    this.deps.store.setReplicaWait((nextOffset) => this.replicaWait(nextOffset));
    this.deps.store.setReplicaVisibleOffset(() => this.visibleOffset());
    this.housekeepingTimer = this.deps.clock.setInterval(() => this.housekeeping(), HOUSEKEEPING_TICK_MS).unref();
    return this.port;
  }

  /** The SYNC_MASTER wait of one put (see the file comment). */
  replicaWait(nextOffset: number): Promise<PutMessageStatus> {
    if (this.deps.settings().brokerRole !== 'SYNC_MASTER') return Promise.resolve(PutMessageStatus.PUT_OK);
    const cm = this.deps.controllerMode;
    if (cm) {
      if (this.deps.labBugs?.has('sync-master-no-wait')) return Promise.resolve(PutMessageStatus.PUT_OK);
      const noWait = cm.allAckInSyncStateSet() ? cm.members().size <= 1 : cm.inSyncReplicas() <= 1;
      return noWait ? Promise.resolve(PutMessageStatus.PUT_OK) : this.groupTransferService.waitForTransfer(nextOffset);
    }
    if (!this.isSlaveOK(nextOffset)) return Promise.resolve(PutMessageStatus.SLAVE_NOT_AVAILABLE);
    // Lab bug sync-master-no-wait (broker/lab-bugs.ts): the answer does not wait for the slave's ack.
    if (this.deps.labBugs?.has('sync-master-no-wait')) return Promise.resolve(PutMessageStatus.PUT_OK);
    return this.groupTransferService.waitForTransfer(nextOffset);
  }

  /**
   * How far consumers may read: under SYNC_MASTER with a slave in sync, what it acked, so a consumer
   * never moves past a record that a promotion of that slave would not have (its queue offsets would
   * be reused and skipped). A slave is in sync while connected, within haMaxGapNotInSync, and no
   * record has waited for its ack longer than slaveTimeout (as RocketMQ 5 shrinks its in-sync set);
   * otherwise sends are not answered SEND_OK by replication and nothing is held back.
   */
  visibleOffset(): number {
    if (this.stopped) return Infinity;
    // Controller mode: the confirm offset, whatever the role now (a fenced master keeps its last one).
    const cm = this.deps.controllerMode;
    if (cm) return cm.allAckInSyncStateSet() ? cm.confirmOffset() : Infinity;
    if (this.deps.settings().brokerRole !== 'SYNC_MASTER') return Infinity;
    const maxOffset = this.deps.store.maxPhyOffset();
    const ack = this.connectedAckOffset();
    if (ack < 0 || !this.isSlaveOK(maxOffset)) return Infinity;
    const waited = this.lag.lag(maxOffset, ack, this.deps.clock.nowMs()).ms;
    return waited <= this.deps.settings().slaveTimeout ? ack : Infinity;
  }

  /** HAService.isSlaveOK: a slave is connected and not haMaxGapNotInSync or more behind. */
  isSlaveOK(masterPutWhere: number): boolean {
    const ack = this.connectedAckOffset();
    if (ack < 0) return false;
    return masterPutWhere - ack < this.deps.settings().haMaxGapNotInSync;
  }

  /** The highest ack of a slave connected now, -1 when none is. */
  private connectedAckOffset(): number {
    let ack = -1;
    for (const connection of this.connections) {
      if (connection.state === 'TRANSFER' && connection.slaveAckOffset > ack) ack = connection.slaveAckOffset;
    }
    return ack;
  }

  /** A record was appended: track it for the lag, and wake the write sides (once per turn). */
  onStored(commitLogOffset: number, size: number, storeTimestamp: number): void {
    this.lag.appended(commitLogOffset, size, storeTimestamp);
    if (this.wakeScheduled || this.connections.size === 0) return;
    this.wakeScheduled = true;
    this.deps.clock.atEndOfTurn(() => {
      this.wakeScheduled = false;
      for (const connection of this.connections) connection.wakeup();
    });
  }

  private accept(socket: Connection): void {
    const notMaster = this.deps.controllerMode !== undefined && !this.deps.controllerMode.isMaster();
    if (this.stopped || notMaster || this.connections.size >= HA_MAX_SLAVE_CONNECTIONS) {
      socket.destroy();
      this.emit('slave.disconnected', `refused a replication connection: ${this.stopped ? 'shutting down' : notMaster ? 'this replica is not the master' : `already ${this.connections.size} slaves`}`);
      return;
    }
    const connection = new HAConnection(socket, {
      store: this.deps.store,
      settings: this.deps.settings,
      clock: this.deps.clock,
      onAck: (_, ackOffset) => this.onAck(ackOffset),
      ...(this.deps.controllerMode ? {
        onReport: (c: HAConnection, reported: number) => {
          if (c.slaveBrokerId !== undefined) this.deps.controllerMode?.slaveAck(c.slaveBrokerId, reported);
        },
      } : {}),
      expectHandshake: this.deps.controllerMode !== undefined,
      // Controller mode compares epochs instead (replicas-manager.ts): a replica truncates before it follows.
      ...(this.deps.controllerMode ? {} : {
        vouchedOffset: () => this.vouchedOffset,
        onShipped: (end: number) => {
          if (end > this.vouchedOffset) this.vouchedOffset = end;
        },
      }),
      onClose: (c, reason) => {
        this.connections.delete(c);
        if (c.slaveBrokerId !== undefined) this.deps.controllerMode?.slaveGone(c.slaveBrokerId);
        this.deps.store.replicaAdvanced(); // no slave in sync any more: nothing is held back
        this.emit('slave.disconnected', `slave ${c.remoteAddress} disconnected: ${reason}`, c.slaveAckOffset);
      },
      onBadFrame: (c, reason) => {
        this.badFrames++;
        this.lastBadFrame = `${c.remoteAddress}: ${reason}`;
        this.emit('badFrame', `garbage replication frame from ${c.remoteAddress}: ${reason}; that connection is closed`);
      },
      onDiverged: (c, reason, offset) => this.emit('diverged', `slave ${c.remoteAddress} diverged: ${reason}`, offset),
    });
    this.connections.add(connection);
    this.emit('slave.connected', `slave connected from ${connection.remoteAddress}`);
  }

  private onAck(ackOffset: number): void {
    this.groupTransferService.notifyTransferSome(this.deps.controllerMode ? this.reachedOffset() : ackOffset);
    if (ackOffset <= this.push2SlaveMaxOffset) {
      this.deps.store.replicaAdvanced();
      return;
    }
    this.push2SlaveMaxOffset = ackOffset;
    const messages = this.lag.acked(ackOffset);
    this.deps.store.replicaAdvanced();
    try {
      this.deps.listeners?.replicated?.(ackOffset, messages);
    } catch (error) {
      console.error('[HAService] replicated listener failed', error);
    }
  }

  private housekeeping(): void {
    const now = this.deps.clock.monotonicMs();
    for (const connection of [...this.connections]) connection.housekeeping(now);
    this.deps.store.replicaAdvanced(); // a role flip or a slave falling out of sync lifts the bound
  }

  private emit(kind: HaEventKind, message: string, offset?: number): void {
    const event: HaEvent = { kind, atMs: this.deps.clock.nowMs(), message, offset };
    try {
      this.deps.listeners?.haEvent?.(event);
    } catch (error) {
      console.error('[HAService] haEvent listener failed', error);
    }
  }

  stats(): Omit<HaStats, 'role'> {
    const store = this.deps.store;
    const connected = [...this.connections].filter((c) => c.state === 'TRANSFER');
    // A connected slave's own ack measures the lag (a rebuilt slave starts again from 0); with none
    // connected, the last ack any slave gave.
    const ack = this.connectedAckOffset();
    const baseline = ack >= 0 ? ack : Math.max(this.push2SlaveMaxOffset, 0);
    const lag = this.lag.lag(store.maxPhyOffset(), baseline, this.deps.clock.nowMs());
    return {
      connectionState: connected.length > 0 ? 'TRANSFER' : 'NO_SLAVE',
      haPort: this.port,
      slaveConnections: connected.length,
      slaveAckOffset: ack >= 0 ? ack : this.push2SlaveMaxOffset,
      pushedOffset: connected.reduce((m, c) => Math.max(m, c.nextTransferFromWhere), -1),
      lagBytes: lag.bytes,
      lagMessages: lag.messages,
      lagMs: lag.ms,
      badFrames: this.badFrames,
      lastBadFrame: this.lastBadFrame,
    };
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.housekeepingTimer?.cancel();
    this.groupTransferService.shutdown(this.connectedAckOffset());
    this.deps.store.setReplicaWait(undefined);
    this.deps.store.setReplicaVisibleOffset(undefined);
    for (const connection of [...this.connections]) connection.close('the master is shutting down');
    await this.listener?.close();
  }
}
