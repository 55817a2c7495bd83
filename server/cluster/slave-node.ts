/**
 * The slave broker of the group, as the control plane supervises it: its own process (brokerId 1,
 * role SLAVE, store under <dataDir>/<cluster>/slave), its HA link to the master through a FaultProxy
 * (so the dashboard can delay or cut it), promotion, rebuild, and the replication figures both ends
 * report. The master's process stays in control-plane.ts; it hands this node the master's HA port
 * and HA figures as they arrive.
 *
 * After a promotion this node is the master of the group (it registers as brokerId 0 with the name
 * server, so producers follow); the old master, when started again, rejoins as a slave through the
 * same proxy after truncating to `promotion.promotedAtOffset` (rejoinOptions()).
 */
import fs from 'node:fs';
import { isZerolossError } from '../../broker/errors/errors';
import type { MasterRole } from '../../broker/ha/broker-replication';
import { MQAdminClient } from './admin-client';
import type { BrokerRole, BrokerSettings, BrokerSettingsPatch } from '../../broker/config/broker-config';
import { NodeSettingsRecord, pushNodeSettings, settingsDrift, type NodeSettingsView, type SerialQueue } from './node-settings';
import type { BrokerToParent, ParentToBroker } from '../../broker/ipc';
import type { HaEvent, HaStats } from '../../broker/ha/ha-types';
import { SupervisedChild, type ProcessStatus } from './child-process';
import { FaultProxy, type Direction, type LinkFaults } from './fault-proxy';
import type { LabBug } from '../../broker/lab-bugs';

export interface ReplicationView {
  /** the slave process; role is SLAVE until promoted */
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
  masterHa?: HaStats;
  slaveHa?: HaStats;
  promotion?: { promotedAtOffset: number; atMs: number; brokerRole: MasterRole };
  recentEvents: HaEvent[];
}

export interface SlaveNodeDeps {
  storePath: string;
  brokerName: string;
  clusterName: string;
  namesrvAddr: () => string | undefined;
  settings: () => BrokerSettings;
  record: (kind: string, message: string, marker?: 'fault' | 'process' | 'setting') => void;
  /** stage batches of this node while it acts as the group's master (after a promotion) */
  stage?: (batch: Extract<BrokerToParent, { type: 'stage' }>) => void;
  /** settings changes and node starts, one at a time (the control plane's queue) */
  serial: SerialQueue;
  /** deliberate bugs this node starts with (broker/lab-bugs.ts); read at each start */
  labBugs?: () => LabBug[];
}

const EVENTS_KEPT = 20;

export class SlaveNode {
  private readonly deps: SlaveNodeDeps;
  private readonly child: SupervisedChild<ParentToBroker, BrokerToParent>;
  readonly proxy: FaultProxy;
  private readonly admin = new MQAdminClient();
  private port: number | undefined;
  private role: BrokerRole = 'SLAVE';
  private masterHaTarget: string | undefined;
  private ready: { resolve(): void; reject(error: Error): void } | undefined;
  private slaveHa: HaStats | undefined;
  /** the master process's HA figures, from its stats messages */
  masterHa: HaStats | undefined;
  promotion: ReplicationView['promotion'];
  /** the old master truncated itself once to the common prefix when it rejoined */
  private rejoined = false;
  private readonly events: HaEvent[] = [];
  /** kind → when it was last recorded: a divergence re-detected on every 5 s retry is recorded once a minute */
  private readonly lastRecordedMs = new Map<string, number>();
  /** what this node confirmed it runs (its 'ready' and 'settings' reports, GET_BROKER_CONFIG read-backs) */
  readonly settingsRecord: NodeSettingsRecord;

  constructor(deps: SlaveNodeDeps) {
    this.settingsRecord = new NodeSettingsRecord(`${deps.brokerName}/1`);
    this.deps = deps;
    this.proxy = new FaultProxy('ha-link', '127.0.0.1:1');
    this.child = new SupervisedChild(`${deps.brokerName} slave`, 'broker/main.ts', {
      message: (message) => this.onMessage(message),
      exit: (info) => {
        this.port = undefined;
        this.slaveHa = undefined;
        this.settingsRecord.gone();
        this.ready?.reject(new Error(`the slave ${info.reason}`));
        this.ready = undefined;
        deps.record(info.expected ? 'process.stopped' : 'process.crashed', `${deps.brokerName} slave ${info.reason}`, 'process');
      },
    });
  }

  get running(): boolean {
    return this.child.running;
  }

  /** The slave acts as the group's master after a promotion. */
  get actingMaster(): boolean {
    return this.role !== 'SLAVE' && this.child.running;
  }

  get address(): string | undefined {
    return this.port ? `127.0.0.1:${this.port}` : undefined;
  }

  private async ensureProxy(): Promise<void> {
    if (!this.proxy.port) await this.proxy.listen(0);
  }

  /** The master process listens for slaves here; the proxy forwards to it (unless this node is the master). */
  setMasterHa(address: string): void {
    if (this.promotion) return; // after a failover the promoted slave's HA port is the target
    this.masterHaTarget = address;
    this.proxy.setTarget(address);
  }

  /** The settings this node should run: the saved ones, in its role (a slave is SLAVE until promoted). */
  desiredSettings(): BrokerSettings {
    return { ...this.deps.settings(), brokerRole: this.role };
  }

  settingsView(): NodeSettingsView {
    return this.settingsRecord.view(this.desiredSettings());
  }

  /**
   * Starts the slave process and resolves once it listens and runs the saved settings: it is
   * spawned with them, and whatever it reports running otherwise is pushed and read back before
   * anything else may change the settings.
   */
  start(options: { truncateCommitLogTo?: number } = {}): Promise<void> {
    return this.deps.serial.run(async () => {
      await this.spawn(options);
      await this.reconcile();
    });
  }

  private async spawn(options: { truncateCommitLogTo?: number }): Promise<void> {
    if (this.child.running) throw new Error('the slave is already running');
    if (this.promotion) throw new Error('this node was promoted to master; start the old master instead, it rejoins as a slave');
    await this.ensureProxy();
    const ready = new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
    });
    const namesrvAddr = this.deps.namesrvAddr();
    const options2 = {
      identity: {
        brokerClusterName: this.deps.clusterName,
        brokerName: this.deps.brokerName,
        brokerId: 1,
        listenPort: 0,
        storePathRootDir: this.deps.storePath,
        haMasterAddress: this.proxy.address,
        ...(namesrvAddr ? { namesrvAddr } : {}),
      },
      settings: { ...this.deps.settings(), brokerRole: 'SLAVE' as const },
      ...(options.truncateCommitLogTo !== undefined ? { ha: { truncateCommitLogTo: options.truncateCommitLogTo } } : {}),
      labBugs: this.deps.labBugs?.() ?? [],
    };
    this.role = 'SLAVE';
    this.settingsRecord.spawned();
    this.child.start({ ZL_BROKER_OPTIONS: JSON.stringify(options2) });
    await ready;
  }

  /** Pushes every key the node runs otherwise than desired (never its role), then reads back. */
  async reconcile(): Promise<void> {
    const address = this.address;
    const running = this.settingsRecord.confirmed;
    if (!address || !running) return;
    const drift = settingsDrift(this.desiredSettings(), running).filter((d) => d.key !== 'brokerRole');
    if (drift.length === 0) return;
    const patch = Object.fromEntries(drift.map((d) => [d.key, d.desired])) as BrokerSettingsPatch;
    this.settingsRecord.confirm(await pushNodeSettings(this.admin, address, patch));
    this.deps.record('settings.reconciled', `${this.settingsRecord.node} started with ${drift.map((d) => `${d.key}=${String(d.running)}`).join(', ')}; set to the saved ${drift.map((d) => `${d.key}=${String(d.desired)}`).join(', ')}`, 'setting');
  }

  async stop(): Promise<void> {
    await this.child.stop({ type: 'shutdown' });
  }

  kill(): void {
    this.deps.record('fault.kill', `SIGKILL sent to ${this.deps.brokerName} slave`, 'fault');
    this.child.kill();
  }

  /** Promotes the running slave; refused with a sentence when there is none or it is already a master. */
  async promote(brokerRole: MasterRole): Promise<{ haPort: number; promotedAtOffset: number }> {
    const address = this.address;
    if (!this.child.running || !address) throw new Error('no slave is running: start the slave first (cluster.startSlave), then promote it');
    if (this.role !== 'SLAVE') throw new Error(`the slave was already promoted: it is the ${this.role} of the group`);
    let promoted: { haPort: number; promotedAtOffset: number };
    try {
      promoted = await this.admin.promoteSlave(address, brokerRole);
    } catch (error) {
      if (isZerolossError(error, 'BROKER_ERROR')) throw new Error(`the slave refused the promotion: ${error.message}`);
      throw error;
    }
    this.role = brokerRole;
    this.promotion = { promotedAtOffset: promoted.promotedAtOffset, atMs: Date.now(), brokerRole };
    this.rejoined = false;
    // The link now leads to the new master: the old master rejoins through it.
    this.proxy.setTarget(`127.0.0.1:${promoted.haPort}`);
    this.proxy.resetConnections();
    this.deps.record('ha.promoted', `slave promoted to ${brokerRole} at commit-log offset ${promoted.promotedAtOffset}; the old master rejoins as a slave after truncating to it`, 'fault');
    return promoted;
  }

  /**
   * What the old master needs to start as a slave of the promoted node, or undefined when no
   * promotion happened. The truncation to the common prefix is asked for once.
   */
  rejoinOptions(): { haMasterAddress: string; truncateCommitLogTo?: number } | undefined {
    if (!this.promotion || !this.proxy.port) return undefined;
    const truncate = this.rejoined ? {} : { truncateCommitLogTo: this.promotion.promotedAtOffset };
    this.rejoined = true;
    return { haMasterAddress: this.proxy.address, ...truncate };
  }

  /**
   * Rebuild from the current master: stop the slave, cut its commit log (to 0, or to the common prefix
   * of the last promotion), start it again; it catches up from there.
   */
  async rebuild(mode: 'empty' | 'common-prefix'): Promise<{ truncatedTo: number }> {
    if (this.promotion) throw new Error('this node is the master of the group since its promotion: rebuild the old master instead by restarting it');
    let truncateTo = 0;
    if (mode === 'common-prefix') {
      const prefix = this.masterHa?.promotedAtOffset;
      if (prefix === undefined) throw new Error('no common prefix is known (the master was never promoted from a slave): rebuild with mode "empty"');
      truncateTo = prefix;
    }
    await this.stop();
    this.deps.record('ha.rebuild', `rebuilding the slave: commit log cut to ${truncateTo}, then catch-up from the master`, 'fault');
    if (truncateTo === 0) fs.rmSync(this.deps.storePath, { recursive: true, force: true });
    await this.start({ truncateCommitLogTo: truncateTo });
    return { truncatedTo: truncateTo };
  }

  setLinkFault(direction: Direction | 'both', faults: { latencyMs?: number; blackhole?: boolean; reset?: boolean }): ReplicationView['link'] {
    const { reset, ...rest } = faults;
    this.proxy.setFaults(direction, rest);
    if (reset) this.proxy.resetConnections();
    const label = [
      rest.latencyMs !== undefined ? `latency ${rest.latencyMs} ms` : '',
      rest.blackhole !== undefined ? (rest.blackhole ? 'blackhole' : 'no blackhole') : '',
      reset ? 'connections reset' : '',
    ].filter(Boolean).join(', ');
    this.deps.record('fault.link', `HA link ${direction}: ${label || 'unchanged'}`, 'fault');
    return this.linkView();
  }

  /**
   * Pushes changed settings to the running node and reads back what it runs (never brokerRole to a
   * slave: only promotion changes a slave's role). Returns the values it ran before, for a rollback,
   * or undefined when nothing was sent (the node is down: it starts with the saved settings).
   */
  async pushSettings(keys: string[], settings: BrokerSettings): Promise<BrokerSettingsPatch | undefined> {
    const address = this.address;
    const before = this.settingsRecord.confirmed;
    if (!this.child.running || !address || !before) return undefined;
    const wanted = keys.filter((k) => k !== 'brokerRole' || this.role !== 'SLAVE') as (keyof BrokerSettings)[];
    if (wanted.length === 0) return undefined;
    const patch = Object.fromEntries(wanted.map((k) => [k, settings[k]])) as BrokerSettingsPatch;
    let running: BrokerSettings;
    try {
      running = await pushNodeSettings(this.admin, address, patch);
    } catch (error) {
      throw new Error(`${this.settingsRecord.node} (${this.role}) did not confirm the settings: ${(error as Error).message}`);
    }
    this.settingsRecord.confirm(running);
    if (wanted.includes('brokerRole') && running.brokerRole !== 'SLAVE') this.role = running.brokerRole;
    return Object.fromEntries(wanted.map((k) => [k, before[k]])) as BrokerSettingsPatch;
  }

  /** Reads what the running node runs now (GET_BROKER_CONFIG); undefined when it is down. */
  async readSettings(): Promise<BrokerSettings | undefined> {
    const address = this.address;
    if (!this.child.running || !address) return undefined;
    const running = await this.admin.getBrokerConfig(address);
    this.settingsRecord.confirm(running);
    return running;
  }

  private linkView(): ReplicationView['link'] {
    return {
      proxyAddress: this.proxy.port ? this.proxy.address : undefined,
      target: this.promotion ? undefined : this.masterHaTarget,
      faults: this.proxy.getFaults(),
      connections: this.proxy.stats().connections,
    };
  }

  view(): ReplicationView {
    // The acting master's figures: the master process, or this node after a promotion.
    const masterSide = this.promotion ? this.slaveHa : this.masterHa;
    // After a promotion the old master, when it runs again, is the slave.
    const slaveSide = this.promotion ? this.masterHa : this.slaveHa;
    return {
      slave: { ...this.child.status, port: this.port, address: this.address, storePath: this.deps.storePath, brokerId: 1, role: this.role },
      link: this.linkView(),
      lagBytes: masterSide?.lagBytes ?? 0,
      lagMessages: masterSide?.lagMessages ?? 0,
      lagMs: masterSide?.lagMs ?? 0,
      slaveAckOffset: masterSide?.slaveAckOffset ?? -1,
      connectionState: slaveSide?.connectionState ?? masterSide?.connectionState ?? 'UNKNOWN',
      divergence: slaveSide?.divergence,
      masterHa: this.masterHa,
      slaveHa: this.slaveHa,
      promotion: this.promotion,
      recentEvents: [...this.events],
    };
  }

  /** HA events of either process (the control plane passes the master's here too). */
  noteEvent(event: HaEvent, from: 'master' | 'slave'): void {
    this.events.push(event);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
    const key = `${from}:${event.kind}`;
    const now = Date.now();
    if ((this.lastRecordedMs.get(key) ?? -Infinity) > now - 60_000) return;
    if (event.kind === 'diverged' || event.kind === 'badFrame' || event.kind === 'promoted') {
      this.lastRecordedMs.set(key, now);
      this.deps.record(`ha.${event.kind}`, `${from}: ${event.message}`, event.kind === 'promoted' ? undefined : 'fault');
    }
  }

  private onMessage(message: BrokerToParent): void {
    switch (message.type) {
      case 'ready':
        this.child.markRunning();
        this.port = message.port;
        this.settingsRecord.confirm(message.settings);
        this.ready?.resolve();
        this.ready = undefined;
        this.deps.record('process.started', `${this.deps.brokerName} slave running on 127.0.0.1:${message.port}, replicating through ${this.proxy.address}${message.truncatedTo !== undefined ? ` (commit log cut to ${message.truncatedTo})` : ''}`, 'process');
        break;
      case 'stats':
        this.slaveHa = message.stats.ha;
        break;
      case 'settings':
        // its own report: a promotion, or a change it applied
        this.settingsRecord.confirm(message.settings);
        break;
      case 'stage':
        if (this.role !== 'SLAVE') this.deps.stage?.(message);
        break;
      case 'ha':
        this.noteEvent(message.event, 'slave');
        break;
      default:
        break;
    }
  }

  async close(): Promise<void> {
    await this.stop();
    this.admin.close();
    await this.proxy.close();
  }
}
