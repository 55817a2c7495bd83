/**
 * One broker replica as the control plane supervises it, named by identity (broker-a/0, broker-a/1):
 * its process (broker/main.ts), the moment it is ready, the settings it confirmed it runs
 * (node-settings.ts), its HA figures, and the faults sent to it (SIGKILL, power cut).
 *
 * A replica is the same object whatever role it has. Which role it starts in, and with which HA
 * address, is decided at each start by its group (broker-group.ts: the group's master starts as a
 * master, any other replica as its slave); a promotion changes the role under it. `role` is the
 * role it has now, as it last said, not the one it was first started in.
 *
 * What the replica's reports mean for the rest of the lab (stage batches, stats, power cuts) is for
 * its group and the control plane to decide: they arrive through the listener.
 */
import type { BrokerRole, BrokerSettings, BrokerSettingsPatch, RemotingServerConfig } from '../../broker/config/broker-config';
import type { BrokerStats, BrokerToParent, ParentToBroker, PowerCutReport, StageBatch } from '../../broker/ipc';
import type { HaEvent, HaStats } from '../../broker/ha/ha-types';
import type { MasterRole } from '../../broker/ha/broker-replication';
import type { LabBug } from '../../broker/lab-bugs';
import { SupervisedChild, type ExitInfo, type ProcessStatus } from './child-process';
import { EXIT_CODE_RESTART } from '../../broker/runtime/child-runtime';
import type { MQAdminClient } from './admin-client';
import { NodeSettingsRecord, pushNodeSettings } from './node-settings';
import type { PlainAclConfig } from '../../broker/acl/plain-access-validator';

export type ReadyReport = Extract<BrokerToParent, { type: 'ready' }>;
export type EventMarker = 'fault' | 'process' | 'setting';

/** Records one cluster event (the control plane's event log; a marker puts it on the live charts). */
export type RecordEvent = (kind: string, subject: string, message: string, marker?: EventMarker, detail?: unknown) => void;

export interface BrokerNodeOptions {
  clusterName: string;
  brokerName: string;
  /** the id the replica is known by (broker-a/<id>), whatever brokerId it registers with now */
  id: number;
  /** its process's name on the dashboard, in the audit log and in recorded runs ('broker-a master') */
  processName: string;
  /** the subject of its process events; the drill runner tells an expected exit by it */
  subject: string;
  storePath: string;
  /** the remoting port of its first start; 0 picks a free one */
  listenPort: number;
  /**
   * true: every restart reuses the port of the first start, so clients configured with its address
   * find it again; false: each start takes listenPort anew and the address is gone while it is down
   */
  keepPort: boolean;
  record: RecordEvent;
  /** the admin client its settings reads, pushes and promotion go through (its owner closes it) */
  admin: MQAdminClient;
  /** its client port's limits, the same at every start (ZL_REMOTING) */
  remoting: Partial<RemotingServerConfig>;
  /** its ACL (aclEnable with these accounts), the same at every start; absent = off */
  acl?: PlainAclConfig;
}

/** How one start runs the replica: the group's master, or a slave replicating from haMasterAddress. */
export interface StartPlan {
  /** the settings it starts with; their brokerRole is the role it starts in */
  settings: BrokerSettings;
  /** the id it registers with the name servers: 0 for the master, a distinct positive one per slave */
  brokerId: number;
  namesrvAddr?: string;
  haMasterAddress?: string;
  /** controller mode: the controller, and the HA address this replica gives it for its slaves (its fault proxy) */
  controllerAddr?: string;
  haAdvertisedAddress?: string;
  /** cut the commit log to this offset before starting (a rebuild, or a rejoin after a promotion) */
  truncateCommitLogTo?: number;
  labBugs: LabBug[];
}

/** What a replica reports, for its group and the control plane to act on. */
export interface BrokerNodeListener {
  ready?(node: BrokerNode, report: ReadyReport): void;
  exited?(node: BrokerNode, info: ExitInfo): void;
  stats?(node: BrokerNode, stats: BrokerStats): void;
  stage?(node: BrokerNode, batch: StageBatch): void;
  ha?(node: BrokerNode, event: HaEvent): void;
  powerCut?(node: BrokerNode, report: PowerCutReport): void;
}

export class BrokerNode {
  /** broker-a/0, broker-a/1 */
  readonly name: string;
  /** what the replica confirmed it runs (its 'ready' and 'settings' reports, GET_BROKER_CONFIG read-backs) */
  readonly settings: NodeSettingsRecord;
  /** the role it has now; a replica counts as a slave until it is first started as a master */
  role: BrokerRole = 'SLAVE';
  private readonly child: SupervisedChild<ParentToBroker, BrokerToParent>;
  private readonly listeners: BrokerNodeListener[] = [];
  private boundPort: number | undefined;
  private plan: StartPlan | undefined;
  private ready: { resolve(): void; reject(error: Error): void } | undefined;
  private ha: HaStats | undefined;
  private store: { maxPhyOffset: number; flushedPhyOffset: number } | undefined;
  private recovery: ReadyReport['recovery'] | undefined;
  private powerCut: { atMs: number; lostBytes: number; flushedOffset: number; maxOffset: number } | undefined;

  constructor(private readonly options: BrokerNodeOptions) {
    this.name = `${options.brokerName}/${options.id}`;
    this.settings = new NodeSettingsRecord(this.name);
    this.child = new SupervisedChild(options.processName, 'broker/main.ts', {
      message: (message) => this.onMessage(message),
      exit: (info) => this.onExit(info),
    });
  }

  listen(listener: BrokerNodeListener): void {
    this.listeners.push(listener);
  }

  get id(): number {
    return this.options.id;
  }

  get processName(): string {
    return this.options.processName;
  }

  get subject(): string {
    return this.options.subject;
  }

  get storePath(): string {
    return this.options.storePath;
  }

  get running(): boolean {
    return this.child.running;
  }

  get status(): ProcessStatus {
    return this.child.status;
  }

  /** the remoting port: while it runs, and while it is down too when it keeps its port */
  get port(): number | undefined {
    return this.boundPort;
  }

  get address(): string | undefined {
    return this.boundPort ? `127.0.0.1:${this.boundPort}` : undefined;
  }

  /** its HA figures from its last stats report; none while it is down */
  get haStats(): HaStats | undefined {
    return this.ha;
  }

  /** its commit log's end and fdatasync'd length from its last stats report; none while it is down */
  get storeStats(): { maxPhyOffset: number; flushedPhyOffset: number } | undefined {
    return this.store;
  }

  /** what recovery found at its last start */
  get lastRecovery(): ReadyReport['recovery'] | undefined {
    return this.recovery;
  }

  get lastPowerCut(): { atMs: number; lostBytes: number; flushedOffset: number; maxOffset: number } | undefined {
    return this.powerCut;
  }

  output(): string[] {
    return this.child.output();
  }

  /**
   * Spawns the process as the plan says and resolves once it listens (rejects with the reason when
   * it dies first). Its group decides the plan: start a replica through BrokerGroup.start.
   */
  spawn(plan: StartPlan): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
    });
    const brokerOptions = {
      identity: {
        brokerClusterName: this.options.clusterName,
        brokerName: this.options.brokerName,
        brokerId: plan.brokerId,
        listenPort: this.options.keepPort ? (this.boundPort ?? this.options.listenPort) : this.options.listenPort,
        storePathRootDir: this.options.storePath,
        ...(plan.namesrvAddr ? { namesrvAddr: plan.namesrvAddr } : {}),
        ...(plan.haMasterAddress ? { haMasterAddress: plan.haMasterAddress } : {}),
        ...(plan.controllerAddr ? { controllerAddr: plan.controllerAddr } : {}),
        ...(plan.haAdvertisedAddress ? { haAdvertisedAddress: plan.haAdvertisedAddress } : {}),
      },
      settings: plan.settings,
      labBugs: plan.labBugs,
      remoting: this.options.remoting,
      ...(this.options.acl ? { acl: this.options.acl } : {}),
      ...(plan.truncateCommitLogTo !== undefined ? { ha: { truncateCommitLogTo: plan.truncateCommitLogTo } } : {}),
    };
    this.child.start({ ZL_BROKER_OPTIONS: JSON.stringify(brokerOptions) });
    this.plan = plan;
    this.role = plan.settings.brokerRole;
    this.settings.spawned();
    return ready;
  }

  async stop(): Promise<void> {
    await this.child.stop({ type: 'shutdown' });
  }

  /** A real crash: SIGKILL. Everything in the page cache survives; the OS keeps it. */
  kill(): Promise<void> {
    this.options.record('fault.kill', this.subject, `SIGKILL sent to ${this.processName}`, 'fault');
    return this.child.kill();
  }

  /** Power loss: the broker cuts its files to the fdatasync'd lengths and SIGKILLs itself. False when it is not running. */
  powerLoss(): boolean {
    this.options.record('fault.powerLoss', this.subject, `power loss on ${this.processName}`, 'fault');
    return this.child.send({ type: 'powerLoss' });
  }

  /** Reads what the running replica runs now (GET_BROKER_CONFIG); undefined when it is down. */
  async readSettings(): Promise<BrokerSettings | undefined> {
    const address = this.address;
    if (!this.running || !address) return undefined;
    const running = await this.options.admin.getBrokerConfig(address);
    this.confirm(running);
    return running;
  }

  /** UPDATE_BROKER_CONFIG, then the settings read back and confirmed. Throws the replica's own reason. */
  async pushSettings(patch: BrokerSettingsPatch): Promise<BrokerSettings> {
    const address = this.address;
    if (!this.running || !address) throw new Error(`${this.name} is not running`);
    const running = await pushNodeSettings(this.options.admin, address, patch);
    this.confirm(running);
    return running;
  }

  /** ZL_PROMOTE_SLAVE: the running slave becomes a master; its role follows. Throws the broker's refusal. */
  async promote(brokerRole: MasterRole): Promise<{ haPort: number; promotedAtOffset: number }> {
    const address = this.address;
    if (!this.running || !address) throw new Error(`${this.name} is not running`);
    const promoted = await this.options.admin.promoteSlave(address, brokerRole);
    this.role = brokerRole;
    return promoted;
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private confirm(settings: BrokerSettings): void {
    this.settings.confirm(settings);
    this.role = settings.brokerRole;
  }

  private onExit(info: ExitInfo): void {
    if (!this.options.keepPort) this.boundPort = undefined;
    this.ha = undefined;
    this.store = undefined;
    this.settings.gone();
    this.ready?.reject(new Error(`${this.processName} ${info.reason}`));
    this.ready = undefined;
    // Exit 75 is a replica asking to be started again (controller mode: it must cut its log first), not a crash.
    const kind = info.expected ? 'process.stopped' : info.code === EXIT_CODE_RESTART ? 'process.restartRequested' : 'process.crashed';
    this.options.record(kind, this.subject, `${this.processName} ${info.reason}${kind === 'process.restartRequested' ? ' (asks to be started again)' : ''}`, 'process');
    for (const l of this.listeners) l.exited?.(this, info);
  }

  private onMessage(message: BrokerToParent): void {
    switch (message.type) {
      case 'ready': {
        this.child.markRunning();
        this.boundPort = message.port;
        this.recovery = message.recovery;
        this.confirm(message.settings);
        this.ready?.resolve();
        this.ready = undefined;
        const replicating = this.plan?.haMasterAddress ? `, replicating through ${this.plan.haMasterAddress}`
          : this.plan?.controllerAddr ? `, its role from the controller at ${this.plan.controllerAddr}` : '';
        const cut = message.truncatedTo !== undefined ? ` (commit log cut to ${message.truncatedTo})` : '';
        const recovered = message.recovery.abnormal ? ' (recovered after an unclean stop)' : '';
        this.options.record('process.started', this.subject, `${this.processName} running on 127.0.0.1:${message.port}${replicating}${cut}${recovered}`, 'process', message.recovery);
        for (const l of this.listeners) l.ready?.(this, message);
        break;
      }
      case 'fatal':
        // The same sentence reaches stderr, and the exit reason carries the last stderr line.
        break;
      case 'stats':
        this.ha = message.stats.ha;
        this.store = { maxPhyOffset: message.stats.maxPhyOffset, flushedPhyOffset: message.stats.flushedPhyOffset };
        for (const l of this.listeners) l.stats?.(this, message.stats);
        break;
      case 'settings':
        // its own report of what it runs now (a change it applied, a promotion)
        this.confirm(message.settings);
        break;
      case 'stage':
        for (const l of this.listeners) l.stage?.(this, message);
        break;
      case 'ha':
        for (const l of this.listeners) l.ha?.(this, message.event);
        break;
      case 'powerCut': {
        const lostBytes = message.cut.reduce((n, c) => n + c.lostBytes, 0);
        this.powerCut = { atMs: Date.now(), lostBytes, flushedOffset: message.flushedOffset, maxOffset: message.maxOffset };
        for (const l of this.listeners) l.powerCut?.(this, message);
        this.options.record('fault.powerCut', this.subject, `power cut: ${lostBytes} unflushed bytes lost`, undefined, message);
        break;
      }
      default:
        break;
    }
  }
}
