/**
 * The replication half of a broker: which side of the HA link it is on (HAService for a master,
 * HAClient for a SLAVE), the rules on role changes, promotion, and the figures it reports.
 *
 * Role rules (docs/rocketmq-semantics.md#broker-settings, #master-failure):
 *  - ASYNC_MASTER ↔ SYNC_MASTER flips live: the HAService re-reads brokerRole on every put.
 *  - A SLAVE refuses sends (SERVICE_NOT_AVAILABLE, as checkStoreStatus does) and refuses to be set
 *    to a master role through UPDATE_BROKER_CONFIG: only promotion makes a slave a master.
 *  - A running master cannot be set to SLAVE: it is restarted as a slave, after truncating its log
 *    to the common prefix (store-truncation.ts).
 *
 * Promotion (Zeroloss; classic RocketMQ has no automatic or admin failover): the HAClient stops, the
 * slave's max offset at that moment is recorded as the common prefix (config/haPromotion.json, kept
 * across restarts and reported), brokerRole becomes the master role asked for, and an HAService
 * starts on haListenPort. The brokerId stays what the control plane gave.
 *
 * Divergence (classic mode): a slave proven to hold records its master lost (ha-client.ts) records it
 * in config/haDivergence.json and, on every start until a rebuild cuts its log (broker-controller.ts
 * removes the file then), does not replicate: a master restarted since has forgotten what it shipped
 * and would otherwise take the slave's end as a continuation of its own log.
 */
import path from 'node:path';
import type { BrokerIdentity, BrokerSettings, BrokerSettingsPatch } from '../config/broker-config.js';
import type { Clock, Timer } from '../io/clock.js';
import type { Transport } from '../io/transport.js';
import { writeFileAtomicSync, type Disk } from '../io/disk.js';
import type { DefaultMessageStore } from '../store/message-store.js';
import { newTopicConfig } from '../store/topic-config-manager.js';
import { HAClient } from './ha-client.js';
import { HAService, type ControllerModeHa } from './ha-service.js';
import type { HaDivergence, HaEvent, HaListeners, HaStats } from './ha-types.js';
import type { LabBugSet } from '../lab-bugs.js';
import { truncateCommitLogFiles, type TruncationResult } from './store-truncation.js';

/** How often a slave records topics it learned from replicated records. */
const TOPIC_SYNC_INTERVAL_MS = 1000;

export type MasterRole = 'SYNC_MASTER' | 'ASYNC_MASTER';

export interface PromotionRecord {
  promotedAtOffset: number;
  atMs: number;
  brokerRole: MasterRole;
}

export interface BrokerReplicationDeps {
  store: DefaultMessageStore;
  identity: BrokerIdentity;
  settings: () => BrokerSettings;
  /** sets brokerRole, bypassing the role rules (promotion, and controller mode's role changes) */
  setRole: (role: MasterRole | 'SLAVE') => void;
  listeners?: HaListeners;
  clock: Clock;
  /** the network the HA service listens on and the HA client dials through; the real one by default */
  transport?: Transport;
  reconnectIntervalMs?: number;
  /** deliberate bugs switched on in this process (broker/lab-bugs.ts) */
  labBugs?: LabBugSet;
  /**
   * Controller mode: the role comes from the controller (replicas-manager.ts calls becomeMaster,
   * fence and follow); the HA listener runs from the start and takes slaves only while master.
   */
  controllerMode?: ControllerModeHa;
}

export class BrokerReplication {
  private readonly deps: BrokerReplicationDeps;
  private readonly clock: Clock;
  haService: HAService | undefined;
  haClient: HAClient | undefined;
  promotion: PromotionRecord | undefined;
  private topicTimer: Timer | undefined;

  constructor(deps: BrokerReplicationDeps) {
    this.deps = deps;
    this.clock = deps.clock;
    this.promotion = readPromotion(deps.store.fileLayer.disk, this.promotionPath());
  }

  private promotionPath(): string {
    return path.join(this.deps.store.storePathRootDir, 'config', 'haPromotion.json');
  }

  /** Classic mode: the divergence this slave recorded (controller mode compares epochs instead). */
  private recordedDivergence(): HaDivergence | undefined {
    if (this.deps.controllerMode) return undefined;
    try {
      const parsed = JSON.parse(this.deps.store.fileLayer.disk.readFile(divergencePath(this.deps.store.storePathRootDir)).toString('utf8')) as Partial<HaDivergence>;
      return typeof parsed.reason === 'string' && typeof parsed.slaveMaxOffset === 'number' ? (parsed as HaDivergence) : undefined;
    } catch {
      return undefined; // none recorded
    }
  }

  private recordDivergence(divergence: HaDivergence): void {
    if (this.deps.controllerMode) return;
    const disk = this.deps.store.fileLayer.disk;
    const file = divergencePath(this.deps.store.storePathRootDir);
    try {
      disk.mkdirp(path.dirname(file));
      writeFileAtomicSync(disk, file, JSON.stringify(divergence));
    } catch (error) {
      console.error(`[BrokerReplication] could not record the divergence in ${file}: ${(error as Error).message}`);
    }
  }

  async start(): Promise<void> {
    if (this.deps.controllerMode) await this.startService();
    else if (this.deps.settings().brokerRole === 'SLAVE') this.startClient();
    else await this.startService();
  }

  /** The HA port of a master, undefined on a slave. */
  get haPort(): number | undefined {
    return this.haService?.port;
  }

  private async startService(): Promise<number> {
    this.haService = new HAService({ store: this.deps.store, settings: this.deps.settings, clock: this.clock, transport: this.deps.transport, listeners: this.deps.listeners, labBugs: this.deps.labBugs, controllerMode: this.deps.controllerMode });
    return this.haService.start(this.deps.identity.haListenPort, this.deps.identity.brokerIP1);
  }

  private startClient(masterAddress = this.deps.identity.haMasterAddress): void {
    if (!masterAddress) {
      this.emit({ kind: 'master.disconnected', atMs: this.clock.nowMs(), message: 'this SLAVE has no haMasterAddress: it does not replicate' });
      return;
    }
    this.haClient = new HAClient({
      store: this.deps.store,
      settings: this.deps.settings,
      clock: this.clock,
      transport: this.deps.transport,
      masterAddress,
      reconnectIntervalMs: this.deps.reconnectIntervalMs,
      listeners: this.deps.listeners,
      labBugs: this.deps.labBugs,
      ...(this.deps.controllerMode ? { handshakeBrokerId: this.deps.controllerMode.selfId } : {}),
      stopOnProvenDivergence: !this.deps.controllerMode,
      recordedDivergence: this.recordedDivergence(),
      onProvenDivergence: (divergence) => this.recordDivergence(divergence),
    });
    this.haClient.start();
    this.topicTimer = this.clock.setInterval(() => this.syncTopicsFromConsumeQueues(), TOPIC_SYNC_INTERVAL_MS).unref();
  }

  /**
   * RocketMQ's SlaveSynchronize copies the master's topic table every 10 s over remoting; this slave
   * knows only the HA address, so it derives its topics from the consume queues the replicated
   * records built (queue count = highest queueId + 1), which is what pulls on a slave need.
   */
  private syncTopicsFromConsumeQueues(): void {
    if (this.deps.settings().brokerRole !== 'SLAVE') return;
    const queues = new Map<string, number>();
    for (const cq of this.deps.store.consumeQueues()) queues.set(cq.topic, Math.max(queues.get(cq.topic) ?? 0, cq.queueId + 1));
    for (const [topic, count] of queues) {
      const known = this.deps.store.topics.selectTopicConfig(topic);
      if (!known || known.readQueueNums < count) {
        try {
          this.deps.store.topics.updateTopicConfig(newTopicConfig(topic, Math.max(count, known?.readQueueNums ?? 0)));
        } catch (error) {
          console.error(`[BrokerReplication] could not record topic ${topic}: ${(error as Error).message}`);
        }
      }
    }
  }

  /** Refusal of a send, or undefined when this broker takes sends. */
  sendRefusal(): string | undefined {
    return this.deps.settings().brokerRole === 'SLAVE'
      ? `broker ${this.deps.identity.brokerName} (brokerId ${this.deps.identity.brokerId}) is a SLAVE: it does not take sends`
      : undefined;
  }

  /** Throws with a sentence when a settings patch would change the role in a way only promotion or a restart may. */
  checkRoleChange(patch: BrokerSettingsPatch): void {
    const to = patch.brokerRole;
    const from = this.deps.settings().brokerRole;
    if (to === undefined || to === from) return;
    if (this.deps.controllerMode) {
      throw new Error(`brokerRole: in controller mode (enableControllerMode) the controller decides the role; this replica is ${from}`);
    }
    if (from === 'SLAVE') {
      throw new Error(`brokerRole: this broker is a SLAVE and cannot be set to ${to}; only promotion (cluster.promoteSlave) makes a slave a master`);
    }
    if (to === 'SLAVE') {
      throw new Error(`brokerRole: a running ${from} cannot become a SLAVE; restart it as a slave (it then truncates to the common prefix and catches up)`);
    }
  }

  /** Makes this SLAVE the master of its group; see the file comment. */
  async promote(role: MasterRole): Promise<{ haPort: number; promotedAtOffset: number }> {
    if (this.deps.settings().brokerRole !== 'SLAVE') {
      throw new Error(`this broker is already a master (${this.deps.settings().brokerRole}): only a SLAVE can be promoted`);
    }
    this.haClient?.shutdown();
    this.haClient = undefined;
    this.topicTimer?.cancel();
    this.syncTopicsFromConsumeQueues();
    const promotedAtOffset = this.cutToLastWholeRecord();
    this.promotion = { promotedAtOffset, atMs: this.clock.nowMs(), brokerRole: role };
    const disk = this.deps.store.fileLayer.disk;
    disk.mkdirp(path.dirname(this.promotionPath()));
    writeFileAtomicSync(disk, this.promotionPath(), JSON.stringify(this.promotion));
    this.deps.setRole(role);
    const haPort = await this.startService();
    this.emit({
      kind: 'promoted',
      atMs: this.clock.nowMs(),
      message: `promoted from SLAVE to ${role} at commit-log offset ${promotedAtOffset} (the common prefix for the old master); HA port ${haPort}`,
      offset: promotedAtOffset,
    });
    return { haPort, promotedAtOffset };
  }

  /**
   * HA frames are byte ranges, so a slave may hold part of a record (or of a segment's BLANK
   * padding) at its end. A master must not append behind that: the partial record is cut (the
   * dispatcher stops before it), a received BLANK header is padded out. Returns the new end.
   */
  private cutToLastWholeRecord(): number {
    const store = this.deps.store;
    const max = store.maxPhyOffset();
    const wholeEnd = max - store.dispatchBehindBytes();
    const queue = store.commitLog.mappedFileQueue;
    if (wholeEnd < max) queue.truncateDirtyFiles(wholeEnd);
    else if (wholeEnd > max) queue.lastMappedFile()?.padToCapacity();
    return store.maxPhyOffset();
  }

  /**
   * Controller mode: master now. Replication from the old master stops; a replica that was
   * replicating may end inside a record (HA frames are byte ranges), which is cut; a replica that was
   * master, or has just started (its recovery kept whole records), has no partial record and nothing
   * is cut. Sends are taken as SYNC_MASTER (the SyncStateSet decides the wait). Returns the log's end.
   */
  becomeMaster(): number {
    const wasReplicating = this.haClient !== undefined;
    this.haClient?.shutdown();
    this.haClient = undefined;
    this.topicTimer?.cancel();
    this.syncTopicsFromConsumeQueues();
    const end = wasReplicating ? this.cutToLastWholeRecord() : this.deps.store.maxPhyOffset();
    this.deps.setRole('SYNC_MASTER');
    return end;
  }

  /** Controller mode: not master any more; sends are refused from now on and the slaves' links close. */
  fence(): void {
    this.deps.setRole('SLAVE');
    this.haService?.fence();
  }

  /** Controller mode: replicate from the master at `masterHaAddress` (a partial last record of a previous link is cut first). */
  follow(masterHaAddress: string): void {
    const wasReplicating = this.haClient !== undefined;
    this.haClient?.shutdown();
    this.haClient = undefined;
    this.topicTimer?.cancel();
    this.deps.setRole('SLAVE');
    if (wasReplicating) this.cutToLastWholeRecord();
    this.startClient(masterAddressFor(masterHaAddress));
  }

  /** Where the last whole record ends: a replicating slave's log may end inside one; any other log ends at a record. */
  wholeRecordsEnd(): number {
    const store = this.deps.store;
    if (this.haClient === undefined) return store.maxPhyOffset();
    return Math.min(store.maxPhyOffset(), store.maxPhyOffset() - store.dispatchBehindBytes());
  }

  slaveAcks(): ReadonlyMap<number, number> {
    return this.haService?.slaveAcks() ?? new Map();
  }

  slaveCaughtUp(): ReadonlyMap<number, number> {
    return this.haService?.slaveCaughtUp() ?? new Map();
  }

  /** A record was appended on this master. */
  onStored(commitLogOffset: number, size: number, storeTimestamp: number): void {
    this.haService?.onStored(commitLogOffset, size, storeTimestamp);
  }

  stats(): HaStats {
    const role = this.deps.settings().brokerRole;
    const side = this.haService?.stats() ?? this.haClient?.stats() ?? {
      connectionState: role === 'SLAVE' ? ('READY' as const) : ('NO_SLAVE' as const),
      slaveConnections: 0,
      slaveAckOffset: -1,
      pushedOffset: -1,
      lagBytes: 0,
      lagMessages: 0,
      lagMs: 0,
      badFrames: 0,
    };
    return { role, ...side, promotedAtOffset: this.promotion?.promotedAtOffset };
  }

  private emit(event: HaEvent): void {
    try {
      this.deps.listeners?.haEvent?.(event);
    } catch (error) {
      console.error('[BrokerReplication] haEvent listener failed', error);
    }
  }

  async shutdown(): Promise<void> {
    this.topicTimer?.cancel();
    this.haClient?.shutdown();
    await this.haService?.shutdown();
  }
}

/** An HA address as given, or undefined when empty (the HA client then reports it has no master). */
function masterAddressFor(address: string): string | undefined {
  return address === '' ? undefined : address;
}

/** Where a classic slave records a proven divergence (see the file comment). */
function divergencePath(storePathRootDir: string): string {
  return path.join(storePathRootDir, 'config', 'haDivergence.json');
}

/** A rebuild (or a rejoin) before the store opens: the log is cut, and with it a recorded divergence. */
export function truncateForRebuild(disk: Disk, storePathRootDir: string, physicalOffset: number): TruncationResult {
  const result = truncateCommitLogFiles(disk, storePathRootDir, physicalOffset);
  const file = divergencePath(storePathRootDir);
  for (const f of [file, `${file}.bak`]) if (disk.exists(f)) disk.remove(f);
  return result;
}

function readPromotion(disk: Disk, file: string): PromotionRecord | undefined {
  try {
    const parsed = JSON.parse(disk.readFile(file).toString('utf8')) as Partial<PromotionRecord>;
    return typeof parsed.promotedAtOffset === 'number' ? (parsed as PromotionRecord) : undefined;
  } catch {
    return undefined; // no promotion recorded
  }
}
