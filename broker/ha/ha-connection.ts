/**
 * HAConnection: the master's end of one slave's replication link (S/ha/HAConnection.java: its
 * ReadSocketService and WriteSocketService in one object on the event loop).
 *
 * Read side: 8-byte reports; the first is slaveRequestOffset, every one is slaveAckOffset. A report
 * that is not an offset, goes backwards, or acks bytes never shipped is a garbage frame: this
 * connection (only) is closed at once and the event reported; so is a report whose handling throws.
 * Write side: from the requested offset, raw commit-log bytes behind a 12-byte header, at most
 * haTransferBatchSize per frame, never across a segment; a heartbeat header when idle for
 * haSendHeartbeatInterval. Housekeeping closes the link when nothing was read for haHousekeepingInterval.
 *
 * Start point: an empty slave (report 0) is shipped the master's whole log from its min offset,
 * not from the start of the last segment as RocketMQ does: a drill's slave must hold every message.
 * A slave that asks for an offset beyond the master's end, or one that is not a record boundary in
 * the master's log, has diverged: the master answers one heartbeat carrying its own offset (the
 * slave's check then fails and it reports the divergence) and closes. In classic mode so has a slave
 * that asks for more than the master vouches for (`vouchedOffset`: its log's end when it started or
 * was promoted, or the furthest it has shipped since): its bytes beyond that cannot have come from
 * this log. That is the slave of a master restarted after a power cut that has since written past the
 * slave's end; were it shipped from there, the master's bytes would be appended to records the master
 * lost. The heartbeat then carries the vouched offset, below the slave's end.
 */
import type { BrokerSettings } from '../config/broker-config.js';
import type { Clock } from '../io/clock.js';
import type { Connection } from '../io/transport.js';
import { BLANK_MAGIC_CODE } from '../protocol/codes.js';
import type { DefaultMessageStore } from '../store/message-store.js';
import { HA_HANDSHAKE_WORD, ReportDecoder, encodeTransferHeader } from './ha-protocol.js';

/** Bytes shipped per event-loop turn before yielding, so one slave cannot starve the broker. */
const TRANSFER_BYTES_PER_TURN = 4 * 1024 * 1024;

export interface HAConnectionDeps {
  store: DefaultMessageStore;
  settings: () => BrokerSettings;
  clock: Clock;
  onAck(connection: HAConnection, ackOffset: number): void;
  /** controller mode: every report read, advancing or not (a caught-up slave's heartbeat may make it join the SyncStateSet) */
  onReport?(connection: HAConnection, reportedOffset: number): void;
  onClose(connection: HAConnection, reason: string): void;
  onBadFrame(connection: HAConnection, reason: string): void;
  onDiverged(connection: HAConnection, reason: string, slaveOffset: number): void;
  /** controller mode: the slave opens with a handshake naming its brokerId (ha-protocol.ts) */
  expectHandshake?: boolean;
  /** classic mode: how far this master's log can be a slave's (see the file comment) */
  vouchedOffset?(): number;
  /** bytes below `end` were written to this slave's socket */
  onShipped?(end: number): void;
}

export class HAConnection {
  readonly remoteAddress: string;
  state: 'HANDSHAKE' | 'TRANSFER' | 'SHUTDOWN' = 'HANDSHAKE';
  slaveRequestOffset = -1;
  slaveAckOffset = -1;
  /** next byte to ship; everything below it has been written to the socket */
  nextTransferFromWhere = -1;
  /** controller mode: the replica on the other end, from its handshake */
  slaveBrokerId: number | undefined;
  /**
   * When the slave last held everything the master had at its last transfer (RocketMQ 5's
   * connectionCaughtUpTimeTable): under steady load an ack never equals the master's end, so the
   * measure is the master's end when the acked frame was shipped. -1: never.
   */
  lastCaughtUpMs = -1;
  private lastMasterMaxOffset = -1;
  private lastTransferMs = 0;
  /** controller mode: words of the handshake read so far */
  private handshakeWords: number[] = [];
  private lastReadMs: number;
  private lastWriteMs: number;
  private readonly decoder = new ReportDecoder();
  private writable = true;
  private transferScheduled = false;

  constructor(private readonly socket: Connection, private readonly deps: HAConnectionDeps) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.lastReadMs = deps.clock.monotonicMs();
    this.lastWriteMs = this.lastReadMs;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writable = true;
      this.transfer();
    });
    socket.on('error', (error) => this.close(`socket error: ${error.message}`));
    socket.on('close', () => this.close('the slave closed the connection'));
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'SHUTDOWN') return;
    this.lastReadMs = this.deps.clock.monotonicMs();
    try {
      this.onReports(chunk);
    } catch (error) {
      // Whatever a hostile report makes the store or the handshake throw ends this link, not the broker.
      this.badFrame(`report could not be handled: ${(error as Error).message}`);
    }
  }

  private onReports(chunk: Buffer): void {
    let reports: number[];
    try {
      reports = this.decoder.push(chunk);
    } catch (error) {
      return this.badFrame((error as Error).message);
    }
    for (const offset of reports) {
      if (this.deps.expectHandshake && this.slaveBrokerId === undefined) {
        this.handshakeWords.push(offset);
        if (this.handshakeWords.length < 2) continue;
        const [word, brokerId] = this.handshakeWords as [number, number];
        if (word !== HA_HANDSHAKE_WORD || brokerId < 1) return this.badFrame(`expected a controller-mode handshake (state 1 and a brokerId), got ${word} and ${brokerId}`);
        this.slaveBrokerId = brokerId;
        continue;
      }
      if (this.state === 'HANDSHAKE') {
        this.handshake(offset);
        if ((this.state as HAConnection['state']) !== 'TRANSFER') return;
        continue;
      }
      if (offset < this.slaveAckOffset) return this.badFrame(`slave ack went backwards from ${this.slaveAckOffset} to ${offset}`);
      if (offset > this.nextTransferFromWhere) {
        return this.badFrame(`slave acked ${offset}, beyond the ${this.nextTransferFromWhere} bytes shipped to it`);
      }
      if (offset > this.slaveAckOffset) {
        this.slaveAckOffset = offset;
        this.noteCaughtUp();
        this.deps.onAck(this, offset);
      }
      this.deps.onReport?.(this, offset);
    }
  }

  private handshake(requestOffset: number): void {
    const store = this.deps.store;
    const maxOffset = store.maxPhyOffset();
    const from = requestOffset === 0 ? store.minPhyOffset() : requestOffset;
    const vouched = this.deps.vouchedOffset?.() ?? maxOffset;
    let divergence: string | undefined;
    if (requestOffset > maxOffset) divergence = `the slave's log ends at ${requestOffset}, beyond the master's end ${maxOffset}`;
    else if (requestOffset > vouched) {
      divergence = `the slave's log ends at ${requestOffset}, but this master's log is the slave's at most up to ${vouched} (its end when it started, or the furthest it shipped since): the slave holds records this master lost`;
    } else if (requestOffset > 0 && !this.isRecordBoundary(requestOffset)) {
      divergence = `the slave's log ends at ${requestOffset}, which is not a record boundary in the master's log`;
    }
    if (divergence) {
      this.deps.onDiverged(this, divergence, requestOffset);
      // One heartbeat carrying the master's end, or what it vouches for: the slave's offset check fails on it.
      this.write(encodeTransferHeader(Math.min(maxOffset, vouched), 0));
      this.close(`diverged: ${divergence}`);
      return;
    }
    this.slaveRequestOffset = requestOffset;
    this.slaveAckOffset = requestOffset;
    this.nextTransferFromWhere = from;
    this.state = 'TRANSFER';
    this.deps.onAck(this, requestOffset);
    this.deps.onReport?.(this, requestOffset);
    this.transfer();
  }

  private isRecordBoundary(offset: number): boolean {
    const store = this.deps.store;
    if (offset === store.maxPhyOffset() || offset === store.minPhyOffset()) return true;
    if (offset % store.commitLog.mappedFileQueue.fileSize === 0) return true;
    const head = store.readCommitLog(offset, 8);
    if (head.length === 8 && head.readInt32BE(4) === BLANK_MAGIC_CODE) return true;
    return store.lookMessageByOffset(offset) !== null;
  }

  /** Wakes the write side: ships whatever the master has beyond nextTransferFromWhere. */
  wakeup(): void {
    this.transfer();
  }

  private transfer(): void {
    if (this.state !== 'TRANSFER' || !this.writable) return;
    const store = this.deps.store;
    const batch = this.deps.settings().haTransferBatchSize;
    let shipped = 0;
    while (this.writable && this.nextTransferFromWhere < store.maxPhyOffset()) {
      if (shipped >= TRANSFER_BYTES_PER_TURN) {
        this.scheduleTransfer();
        return;
      }
      const body = store.readCommitLog(this.nextTransferFromWhere, batch);
      if (body.length === 0) break;
      const header = encodeTransferHeader(this.nextTransferFromWhere, body.length);
      this.lastMasterMaxOffset = store.maxPhyOffset();
      this.lastTransferMs = this.deps.clock.nowMs();
      this.nextTransferFromWhere += body.length;
      shipped += body.length;
      this.write(Buffer.concat([header, body], header.length + body.length));
      this.deps.onShipped?.(this.nextTransferFromWhere);
    }
    this.noteNothingToTransfer();
  }

  /**
   * RocketMQ's writer counts a slave caught up at the moment it has written everything the master
   * holds (AutoSwitchHAConnection.transferToSlave, "size == 0"): under steady load over a slow link an
   * ack never reaches the master's end at the last transfer, and without this rule every slave would
   * leave the SyncStateSet after haMaxTimeSlaveNotCatchup.
   */
  private noteNothingToTransfer(): void {
    if (this.state === 'TRANSFER' && this.writable && this.nextTransferFromWhere >= this.deps.store.maxPhyOffset()) {
      this.lastCaughtUpMs = this.deps.clock.nowMs();
    }
  }

  private scheduleTransfer(): void {
    if (this.transferScheduled) return;
    this.transferScheduled = true;
    this.deps.clock.atEndOfTurn(() => {
      this.transferScheduled = false;
      this.transfer();
    });
  }

  private write(data: Buffer): void {
    if (this.socket.destroyed) return;
    this.lastWriteMs = this.deps.clock.monotonicMs();
    if (!this.socket.write(data)) this.writable = false;
  }

  private noteCaughtUp(): void {
    const max = this.deps.store.maxPhyOffset();
    if (this.slaveAckOffset >= max) this.lastCaughtUpMs = this.deps.clock.nowMs();
    else if (this.lastMasterMaxOffset >= 0 && this.slaveAckOffset >= this.lastMasterMaxOffset) this.lastCaughtUpMs = Math.max(this.lastCaughtUpMs, this.lastTransferMs);
  }

  /** Called by HAService every tick: heartbeat when idle, close when silent. */
  housekeeping(nowMs: number): void {
    if (this.state === 'SHUTDOWN') return;
    if (this.state === 'TRANSFER') {
      this.noteCaughtUp();
      this.noteNothingToTransfer();
    }
    const settings = this.deps.settings();
    if (nowMs - this.lastReadMs > settings.haHousekeepingInterval) {
      this.close(`housekeeping: nothing read from the slave for ${Math.round(nowMs - this.lastReadMs)} ms (haHousekeepingInterval ${settings.haHousekeepingInterval})`, true);
      return;
    }
    if (this.state === 'TRANSFER' && this.writable && nowMs - this.lastWriteMs > settings.haSendHeartbeatInterval) {
      this.write(encodeTransferHeader(this.nextTransferFromWhere, 0));
    }
  }

  private badFrame(reason: string): void {
    if (this.state === 'SHUTDOWN') return;
    this.deps.onBadFrame(this, reason);
    this.close(`garbage frame: ${reason}`, true);
  }

  /**
   * Ends the link. Normally after what was written has gone out (the divergence heartbeat must
   * reach the slave); after a garbage frame at once, so that a peer that never reads cannot keep
   * the socket and its unsent bytes alive.
   */
  close(reason: string, abort = false): void {
    if (this.state === 'SHUTDOWN') return;
    this.state = 'SHUTDOWN';
    if (abort) this.socket.destroy();
    else this.socket.end();
    this.deps.onClose(this, reason);
  }
}
