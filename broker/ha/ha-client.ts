/**
 * HAClient: the slave side of classic replication (S/ha/HAService.java HAClient; 5.x DefaultHAClient).
 * Connects to haMasterAddress, reports its max commit-log offset (8 bytes) on connect, after every
 * appended batch (when it advanced) and at least every haSendHeartbeatInterval; receives transfer
 * frames, checks `masterPhyOffset == own max offset`, appends the bytes with
 * store.appendToCommitLog (which dispatches the consume queues) and flushes by its own flushDiskType
 * (SYNC_FLUSH: a flush after each batch, not awaited before the ack; ASYNC_FLUSH: the store's loop).
 * As in RocketMQ, the ack is the written offset, not the flushed one.
 *
 * Closes the link and retries after reconnectIntervalMs (5 s) when: the master goes away, nothing was
 * read for haHousekeepingInterval (5.x), a frame is garbage (reported as a bad frame), or the master
 * ships from an offset beyond our end (reported as diverged, cleared by the next append).
 *
 * Also diverged, but retried: the first frame of a connection not starting with a record (or BLANK)
 * stamped with our end offset (the master's log has no record boundary where ours ends).
 *
 * The master shipping from an offset below our end proves this log holds records the master does not
 * have (it lost them in a power cut, or, in classic mode, it vouches for less: ha-connection.ts).
 * In classic mode that is reported once and ends replication: state DIVERGED, no append and no
 * reconnect until the slave is rebuilt (restarted with its log cut). Were it retried, the master would
 * pass our end with new records and ship from there, onto records it lost. (Controller mode retries:
 * its replicas compare epochs and cut their logs before they follow a new master.)
 * Classic RocketMQ checks only the offset and reconnects forever; here the admin rebuilds the slave.
 */
import type { BrokerSettings } from '../config/broker-config.js';
import type { Clock, Timer } from '../io/clock.js';
import { realTransport, type Connection, type Transport } from '../io/transport.js';
import { BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE } from '../protocol/codes.js';
import type { DefaultMessageStore } from '../store/message-store.js';
import { splitAddress } from '../remoting/remoting-client.js';
import { HA_RECONNECT_INTERVAL_MS, HaProtocolError, TransferDecoder, encodeReport, encodeSlaveHandshake, type TransferFrame } from './ha-protocol.js';
import type { HaConnectionState, HaDivergence, HaEventKind, HaListeners, HaStats } from './ha-types.js';
import type { LabBugSet } from '../lab-bugs.js';

/** Offset of PHYSICALOFFSET inside a record (docs/rocketmq-semantics.md#record-layout). */
const RECORD_PHYSICAL_OFFSET_AT = 28;
const TICK_MS = 100;
/** Under the lab bug slave-overreports-offset: how long a received frame waits before it is written. */
const LAB_DEFERRED_APPEND_MS = 200;

export interface HAClientDeps {
  store: DefaultMessageStore;
  settings: () => BrokerSettings;
  clock: Clock;
  /** the network the link to the master runs on; realTransport when absent */
  transport?: Transport;
  masterAddress: string;
  reconnectIntervalMs?: number;
  listeners?: HaListeners;
  /** deliberate bugs switched on in this process (broker/lab-bugs.ts) */
  labBugs?: LabBugSet;
  /** controller mode: this replica's brokerId, sent in a handshake before the first report */
  handshakeBrokerId?: number;
  /**
   * Classic mode: a proven divergence ends replication (see the file comment). Controller mode leaves
   * it to the epochs (replicas-manager.ts cuts a replica's log before it follows a new master), and
   * the client retries as before.
   */
  stopOnProvenDivergence?: boolean;
  /** a proven divergence recorded before this start: the client does not replicate */
  recordedDivergence?: HaDivergence;
  /** a divergence was proven now (to record it) */
  onProvenDivergence?(divergence: HaDivergence): void;
}

export class HAClient {
  private readonly deps: HAClientDeps;
  private socket: Connection | undefined;
  private decoder = new TransferDecoder();
  state: HaConnectionState = 'READY';
  private firstFrame = true;
  private lastReportedOffset = -1;
  /** the last offset reported to a master, kept across connections (-1 before the first report) */
  private reportedOffset = -1;
  private lastReportMs = 0;
  private lastReadMs = 0;
  private nextConnectMs = 0;
  private timer: Timer | undefined;
  private flushing = false;
  private stopped = false;
  /** the current socket completed its TCP connect (a refused attempt is not announced) */
  private connected = false;
  masterPhyOffset: number | undefined;
  divergence: HaDivergence | undefined;
  /** a proven divergence: nothing is appended and no link is made again by this client */
  private refusing = false;
  /** frames received but not written yet: only under the lab bug slave-overreports-offset */
  private deferred: { frame: TransferFrame; receivedMs: number }[] = [];
  private deferredBytes = 0;
  badFrames = 0;
  lastBadFrame: string | undefined;

  constructor(deps: HAClientDeps) {
    this.deps = deps;
  }

  get masterAddress(): string {
    return this.deps.masterAddress;
  }

  start(): void {
    const recorded = this.deps.recordedDivergence;
    if (recorded) {
      this.divergence = recorded;
      this.refusing = true;
      this.state = 'DIVERGED';
      this.emit('diverged', `the slave's log diverged from the master's before this start (${recorded.reason}); it does not replicate until it is rebuilt from the master`, recorded.slaveMaxOffset);
    }
    this.timer = this.deps.clock.setInterval(() => this.tick(), TICK_MS);
    this.connect();
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.deferred.length > 0) this.appendDeferred();
    const now = this.deps.clock.monotonicMs();
    const settings = this.deps.settings();
    if (!this.socket) {
      if (now >= this.nextConnectMs) this.connect();
      return;
    }
    if (this.state !== 'TRANSFER') return;
    if (now - this.lastReadMs > settings.haHousekeepingInterval) {
      this.closeMaster(`nothing read from the master for ${Math.round(now - this.lastReadMs)} ms (haHousekeepingInterval ${settings.haHousekeepingInterval})`);
      return;
    }
    if (now - this.lastReportMs >= settings.haSendHeartbeatInterval) this.report(true);
  }

  private connect(): void {
    if (this.stopped || this.socket || this.refusing) return;
    let host: string;
    let port: number;
    try {
      [host, port] = splitAddress(this.deps.masterAddress);
    } catch (error) {
      this.state = 'READY';
      this.nextConnectMs = this.deps.clock.monotonicMs() + this.reconnectIntervalMs();
      console.error(`[HAClient] ${(error as Error).message}`);
      return;
    }
    this.state = this.state === 'DIVERGED' ? 'DIVERGED' : 'CONNECTING';
    const socket = (this.deps.transport ?? realTransport).connect({ host, port });
    this.socket = socket;
    this.decoder = new TransferDecoder();
    this.firstFrame = true;
    this.lastReportedOffset = -1;
    this.connected = false;
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.connected = true;
      if (this.state !== 'DIVERGED') this.state = 'TRANSFER';
      this.lastReadMs = this.deps.clock.monotonicMs();
      this.emit('master.connected', `connected to the master at ${this.deps.masterAddress}, reporting offset ${this.deps.store.maxPhyOffset()}`);
      if (this.deps.handshakeBrokerId !== undefined) socket.write(encodeSlaveHandshake(this.deps.handshakeBrokerId));
      this.report(true);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on('error', (error) => {
      if (this.socket === socket) this.closeMaster(`socket error: ${error.message}`, false);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.closeMaster('the master closed the connection');
    });
  }

  private reconnectIntervalMs(): number {
    return this.deps.reconnectIntervalMs ?? HA_RECONNECT_INTERVAL_MS;
  }

  private onData(chunk: Buffer): void {
    this.lastReadMs = this.deps.clock.monotonicMs();
    let frames: TransferFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof HaProtocolError)) throw error; // a decoder bug, not a hostile frame
      this.badFrames++;
      this.lastBadFrame = error.message;
      this.emit('badFrame', `garbage replication frame from the master: ${error.message}; the connection is closed`);
      this.closeMaster(`garbage frame: ${error.message}`);
      return;
    }
    if (this.deps.labBugs?.has('slave-overreports-offset')) {
      this.deferFrames(frames);
      return;
    }
    try {
      let appended = false;
      for (const frame of frames) {
        if (!this.processFrame(frame)) return;
        if (frame.body.length > 0) appended = true;
      }
      if (appended) {
        this.report(false);
        this.flushIfSync();
      }
    } catch (error) {
      // A frame the store cannot take ends this link (and is retried), never the slave process.
      const message = `replication frame could not be applied: ${(error as Error).message}`;
      this.badFrames++;
      this.lastBadFrame = message;
      this.emit('badFrame', `${message}; the connection is closed`);
      this.closeMaster(message);
    }
  }

  /** false when the connection was closed */
  private processFrame(frame: TransferFrame): boolean {
    const store = this.deps.store;
    const own = store.maxPhyOffset();
    this.masterPhyOffset = frame.phyOffset;
    if (frame.phyOffset < own) {
      return this.diverged(`the master holds this slave's log only up to ${frame.phyOffset} (the slave ends at ${own}): it lost records this slave holds`, own, frame.phyOffset, true);
    }
    if (frame.phyOffset > own) return this.diverged(`the master ships from ${frame.phyOffset} but this slave ends at ${own}`, own, frame.phyOffset, false);
    if (frame.body.length === 0) return true;
    if (this.firstFrame && own > 0 && !startsWithRecordAt(frame.body, own)) {
      return this.diverged(`the master's bytes at ${own} are not a record stamped with that offset`, own, frame.phyOffset, false);
    }
    this.firstFrame = false;
    if (!store.appendToCommitLog(frame.phyOffset, frame.body)) {
      this.closeMaster(`could not append ${frame.body.length} bytes at ${frame.phyOffset} (store end ${store.maxPhyOffset()})`);
      return false;
    }
    if (this.divergence || this.state === 'DIVERGED') {
      this.divergence = undefined;
      this.state = 'TRANSFER';
    }
    return true;
  }

  /** `proven`: this log holds what the master's does not (see the header); replication ends here. */
  private diverged(reason: string, slaveMaxOffset: number, masterOffset: number, proven: boolean): false {
    // Announced once per divergence, not on every retry; a proof after a suspicion is announced too.
    const stops = proven && this.deps.stopOnProvenDivergence === true;
    if (!this.divergence || (stops && !this.refusing)) {
      const next = stops ? 'this slave stops replicating until it is rebuilt from the master' : 'rebuild the slave from the master';
      this.emit('diverged', `the slave's log diverged from the master's: ${reason}; ${next}`, slaveMaxOffset);
    }
    this.divergence = { atMs: this.divergence?.atMs ?? this.deps.clock.nowMs(), reason, slaveMaxOffset, masterOffset };
    if (stops && !this.refusing) {
      this.refusing = true;
      this.deps.onProvenDivergence?.(this.divergence);
    }
    this.closeMaster(`diverged: ${reason}`);
    this.state = 'DIVERGED';
    return false;
  }

  private report(force: boolean): void {
    const socket = this.socket;
    if (!socket || socket.destroyed || !socket.writable) return;
    // deferredBytes is 0 but under the lab bug slave-overreports-offset: received counts as stored.
    const offset = this.deps.store.maxPhyOffset() + this.deferredBytes;
    if (!force && offset <= this.lastReportedOffset) return;
    socket.write(encodeReport(offset));
    this.lastReportedOffset = offset;
    this.reportedOffset = offset;
    this.lastReportMs = this.deps.clock.monotonicMs();
  }

  /**
   * Lab bug slave-overreports-offset (broker/lab-bugs.ts): the slave acks what it received as if it
   * had stored it, and writes it to its commit log only LAB_DEFERRED_APPEND_MS later; a closed link
   * drops what was not written yet (the next connection asks from the store's end). The master
   * never sees an ack beyond what it shipped, so its check of RocketMQ issue 3015 lets it through.
   */
  private deferFrames(frames: TransferFrame[]): void {
    const now = this.deps.clock.monotonicMs();
    let received = false;
    for (const frame of frames) {
      if (frame.body.length === 0) continue;
      if (frame.phyOffset !== this.deps.store.maxPhyOffset() + this.deferredBytes) {
        this.diverged(`the master ships from ${frame.phyOffset} but this slave ends at ${this.deps.store.maxPhyOffset() + this.deferredBytes}`, this.deps.store.maxPhyOffset(), frame.phyOffset, false);
        return;
      }
      this.deferred.push({ frame, receivedMs: now });
      this.deferredBytes += frame.body.length;
      received = true;
    }
    if (received) this.report(false);
  }

  /** Writes the deferred frames older than LAB_DEFERRED_APPEND_MS (the lab bug's late write). */
  private appendDeferred(): void {
    const due = this.deps.clock.monotonicMs() - LAB_DEFERRED_APPEND_MS;
    let appended = false;
    try {
      while (this.deferred.length > 0 && this.deferred[0]!.receivedMs <= due) {
        const { frame } = this.deferred.shift()!;
        this.deferredBytes -= frame.body.length;
        if (!this.processFrame(frame)) return;
        appended = true;
      }
    } catch (error) {
      // As in onData: a frame the store cannot take ends this link, never the slave process.
      this.closeMaster(`replication frame could not be applied: ${(error as Error).message}`);
      return;
    }
    if (appended) this.flushIfSync();
  }

  private flushIfSync(): void {
    if (this.deps.settings().flushDiskType !== 'SYNC_FLUSH' || this.flushing) return;
    this.flushing = true;
    this.deps.store.commitLog.flush(0).catch((error: unknown) => console.error('[HAClient] flush failed', error)).finally(() => {
      this.flushing = false;
    });
  }

  /** closeMasterAndWait: drop the link; the next attempt comes after reconnectIntervalMs. */
  private closeMaster(reason: string, announce = true): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.deferred = [];
    this.deferredBytes = 0;
    socket.destroy();
    if (this.state !== 'DIVERGED') this.state = this.stopped ? 'SHUTDOWN' : 'READY';
    this.nextConnectMs = this.deps.clock.monotonicMs() + this.reconnectIntervalMs();
    if (this.connected && (announce || !this.stopped)) this.emit('master.disconnected', `replication link to ${this.deps.masterAddress} closed: ${reason}`);
    this.connected = false;
  }

  private emit(kind: HaEventKind, message: string, offset?: number): void {
    try {
      this.deps.listeners?.haEvent?.({ kind, atMs: this.deps.clock.nowMs(), message, offset });
    } catch (error) {
      console.error('[HAClient] haEvent listener failed', error);
    }
  }

  stats(): Omit<HaStats, 'role'> {
    const own = this.deps.store.maxPhyOffset();
    return {
      connectionState: this.state,
      slaveConnections: 0,
      slaveAckOffset: this.reportedOffset,
      pushedOffset: -1,
      lagBytes: this.masterPhyOffset === undefined ? 0 : Math.max(0, this.masterPhyOffset - own),
      lagMessages: 0,
      lagMs: 0,
      masterAddress: this.deps.masterAddress,
      masterPhyOffset: this.masterPhyOffset,
      divergence: this.divergence,
      badFrames: this.badFrames,
      lastBadFrame: this.lastBadFrame,
    };
  }

  shutdown(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.closeMaster('the slave is shutting down', false);
    this.state = 'SHUTDOWN';
  }
}

/** Does `body` (shipped for our end offset) start with a BLANK record or a record stamped `offset`? */
function startsWithRecordAt(body: Buffer, offset: number): boolean {
  if (body.length < 8) return true; // too little to tell; later frames follow it seamlessly
  const magic = body.readInt32BE(4);
  if (magic === BLANK_MAGIC_CODE) return true;
  if (magic !== MESSAGE_MAGIC_CODE) return false;
  if (body.length < RECORD_PHYSICAL_OFFSET_AT + 8) return true;
  return Number(body.readBigInt64BE(RECORD_PHYSICAL_OFFSET_AT)) === offset;
}
