/**
 * The control plane's core, without HTTP: it supervises the broker and traffic processes, applies
 * settings (persisted through Prisma, pushed to the running broker with UPDATE_BROKER_CONFIG),
 * aggregates what the children report into live samples, and records cluster events.
 * server/main.ts puts Next.js, tRPC and the WebSocket stream in front of it.
 */
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { PrismaClient } from '@prisma/client';
import { isZerolossError } from '../broker/errors/errors';
import { MQAdminClient } from './cluster/admin-client';
import type { BrokerSettings, BrokerSettingsPatch } from '../broker/config/broker-config';
import { NodeSettingsRecord, SerialQueue, describeDrift, pushNodeSettings, settingsDrift, type NodeSettingsView, type SettingDrift } from './cluster/node-settings';
import type { ClientsSnapshot, BrokerToParent, ConsumeEvent, ParentToBroker, ParentToTraffic, SendOutcome, TrafficConfig, TrafficToParent } from '../broker/ipc';
import type { DrillStatus } from './drills/types';
import { PROJECT_ROOT, SupervisedChild } from './cluster/child-process';
import { Aggregator } from './live/aggregator';
import { SAMPLE_INTERVAL_MS, type ClientGroupView, type BrokerView, type ChartMarker, type LiveSample, type LiveState } from './live/types';
import { SettingsService } from './settings/settings-service';
import { NamesrvController } from '../broker/namesrv/namesrv-controller';
import { DEFAULT_NAMESRV_PORT, RETRY_GROUP_TOPIC_PREFIX } from '../broker/protocol/codes';
import { ConsumerFleet, type FleetInput } from './traffic/consumer-fleet';
import { SlaveNode } from './cluster/slave-node';
import { ClientPortProxy } from './cluster/client-port-proxy';
import { MessageTracker } from './live/message-tracker';
import { CONSOLE_PRODUCER_GROUP, TRAFFIC_PRODUCER_GROUP, isLabClientId } from './traffic/lab-clients';
import { LAB_BUGS, labBugsOf, type LabBug } from '../broker/lab-bugs';

export interface ControlPlaneOptions {
  prisma: PrismaClient;
  /** where broker stores live: <dataDir>/<cluster>/master */
  dataDir?: string;
  /** the master's listen port; 0 picks a free one (kept across restarts) */
  brokerPort?: number;
  /** the name server's port (RocketMQ's 9876 by default); 0 picks a free one */
  namesrvPort?: number;
  clusterName?: string;
  /** start the slave broker (brokerId 1, HA through the fault proxy) with the master */
  startSlave?: boolean;
  /** deliberate bugs every process this plane starts runs with (broker/lab-bugs.ts; ZL_LAB_BUGS): a lab flag, never a setting */
  labBugs?: LabBug[];
}

export interface TrafficInput {
  rate: number;
  bodySize: number;
  sendMode: TrafficConfig['sendMode'];
  count: number;
  topic: string;
  /** KEYS pattern ({n}, {producer}); absent = messages carry no KEYS */
  keyPattern?: string;
  /** send through the fault proxy in front of the master's client port (a drill's producer-link faults) */
  viaClientProxy?: boolean;
  /** seeds the message bodies (a drill's seed) */
  bodySeed?: number;
}

const MARKERS_KEPT = 200;
/** how long switching lab bugs waits for the slave to reconnect to a restarted master */
const LAB_BUG_SLAVE_RECONNECT_WAIT_MS = 15_000;

/** The raw events the drill ledger listens to, beside the live 'tick'. */
export interface ControlPlaneEvents {
  tick: [LiveSample, LiveState];
  /** every send outcome the traffic runner reported */
  outcomes: [SendOutcome[]];
  /** every consumer report (delivered, consumed, reconsume, duplicate-suppressed) */
  consumeEvents: [ConsumeEvent[]];
  /** the acting master's stage batches (the master process, or the slave after a promotion): stored records and the durable watermarks */
  stage: [Extract<BrokerToParent, { type: 'stage' }>];
  /** the master's power cut report (files cut to their fdatasync'd lengths) */
  powerCut: [Extract<BrokerToParent, { type: 'powerCut' }>];
  /** every recorded cluster event (process exits, faults, setting flips, traffic) */
  clusterEvent: [{ kind: string; subject: string; message: string; detail: unknown; atMs: number }];
}

export class ControlPlane extends EventEmitter<ControlPlaneEvents> {
  readonly settings: SettingsService;
  readonly aggregator = new Aggregator();
  readonly prisma: PrismaClient;
  /** the running drill, shown in the live state (see showDrillStatus) */
  private drillStatus: (() => DrillStatus | null) | undefined;
  private readonly admin = new MQAdminClient();
  private readonly broker: SupervisedChild<ParentToBroker, BrokerToParent>;
  private readonly traffic: SupervisedChild<ParentToTraffic, TrafficToParent>;
  private brokerView: BrokerView;
  private brokerPort: number;
  private trafficConfig: TrafficConfig | undefined;
  private readonly markers: ChartMarker[] = [];
  private sampler: NodeJS.Timeout | undefined;
  private brokerReady: { resolve(): void; reject(error: Error): void } | undefined;
  private producerCount = 0;
  /** the name server lives in the control plane process: it survives every broker crash */
  readonly namesrv: NamesrvController;
  readonly consumers: ConsumerFleet;
  /** sequence gaps seen since the last summary event (at most one event a second, so a flood stays readable) */
  private pendingGaps: { producerId: string; queue: string; from: number; to: number }[] = [];
  private lastGapEventMs = 0;
  /** the master's client registry, as its last stats reported it */
  private clients: ClientsSnapshot = { producers: {}, consumers: {} };
  /** the slave broker, its HA link through the fault proxy, promotion and rebuild */
  readonly slaveNode: SlaveNode;
  /** the fault proxy in front of the master's client port; the traffic runner sends through it when asked */
  readonly clientPort = new ClientPortProxy((kind, message) => void this.recordEvent(kind, 'broker', message, 'fault'));
  /** per-message records (the Messages page's durability ladder), fed by this plane's own events */
  private readonly messageTracker = new MessageTracker();
  /** settings changes and node starts run one at a time: a change never slips past a starting node */
  private readonly serial = new SerialQueue();
  /** what the master process (broker-a/0 by identity) confirmed it runs */
  readonly masterSettings = new NodeSettingsRecord('broker-a/0');
  /** deliberate bugs of the processes this plane starts (broker/lab-bugs.ts): ZL_LAB_BUGS, or a drill run's for its run */
  private activeLabBugs: readonly LabBug[];

  get messages(): MessageTracker {
    return this.messageTracker;
  }

  constructor(private readonly options: ControlPlaneOptions) {
    super();
    this.prisma = options.prisma;
    this.settings = new SettingsService(options.prisma);
    this.activeLabBugs = options.labBugs ?? [];
    this.brokerPort = options.brokerPort ?? 10911;
    const cluster = options.clusterName ?? 'DefaultCluster';
    const storePath = path.resolve(PROJECT_ROOT, options.dataDir ?? 'data', cluster, 'master');
    this.broker = new SupervisedChild('broker-a master', 'broker/main.ts', {
      message: (message) => this.onBrokerMessage(message),
      exit: (info) => {
        this.brokerView = { ...this.brokerView, ...this.broker.status };
        this.aggregator.resetBrokerStats();
        this.masterSettings.gone();
        this.brokerReady?.reject(new Error(`broker ${info.reason}`));
        this.brokerReady = undefined;
        void this.recordEvent(info.expected ? 'process.stopped' : 'process.crashed', 'broker', `broker-a master ${info.reason}`, 'process');
      },
    });
    this.brokerView = { ...this.broker.status, storePath };
    this.slaveNode = new SlaveNode({
      storePath: path.resolve(PROJECT_ROOT, options.dataDir ?? 'data', cluster, 'slave'),
      brokerName: 'broker-a',
      clusterName: cluster,
      namesrvAddr: () => (this.namesrv.port ? this.namesrv.address : undefined),
      settings: () => this.settings.get(),
      record: (kind, message, marker) => void this.recordEvent(kind, 'slave', message, marker),
      stage: (batch) => this.emit('stage', batch),
      serial: this.serial,
      labBugs: () => labBugsOf('slave', this.activeLabBugs),
    });
    this.namesrv = new NamesrvController({
      brokerRegistered: (addr, name, id, isNew) => {
        if (isNew) void this.recordEvent('namesrv.registered', 'namesrv', `${name} (brokerId ${id}) at ${addr} registered with the name server`);
      },
      brokerGone: (addr, why) => void this.recordEvent('namesrv.removed', 'namesrv', `broker at ${addr} left the routes: ${why}`),
    });
    this.consumers = new ConsumerFleet(path.resolve(PROJECT_ROOT, options.dataDir ?? 'data', cluster), () => this.namesrv.address, {
      events: (events) => {
        this.emit('consumeEvents', events);
        const { gaps } = this.aggregator.addConsumeEvents(events);
        this.pendingGaps.push(...gaps.slice(0, Math.max(0, 100 - this.pendingGaps.length)));
      },
      lifecycle: (kind, message) => void this.recordEvent(kind, 'consumers', message, kind === 'process.crashed' ? 'process' : 'traffic'),
    }, () => this.settings.get().maxReconsumeTimes);
    this.messageTracker.attach(this, () => this.trafficConfig);
    this.traffic = new SupervisedChild('traffic runner', 'server/traffic/runner-main.ts', {
      message: (message) => this.onTrafficMessage(message),
      exit: (info) => {
        void this.recordEvent(info.expected || info.code === 0 ? 'traffic.stopped' : 'process.crashed', 'traffic', `traffic runner ${info.reason}`, 'traffic');
      },
    });
  }

  async start(): Promise<void> {
    await this.settings.load();
    await this.namesrv.start(this.options.namesrvPort ?? DEFAULT_NAMESRV_PORT);
    this.sampler = setInterval(() => this.emitTick(), SAMPLE_INTERVAL_MS);
    await this.clientPort.listen();
    await this.startBroker();
    if (this.options.startSlave) {
      await this.slaveNode.start().catch((error: unknown) => console.error(`[control-plane] the slave did not start: ${(error as Error).message}`));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.consumers.stop();
    await this.traffic.stop({ type: 'stop' });
    await this.slaveNode.close();
    await this.broker.stop({ type: 'shutdown' });
    this.admin.close();
    await this.clientPort.close();
    await this.namesrv.shutdown();
  }

  // ---- broker ----

  /**
   * Starts the broker and resolves once it listens and runs the saved settings (it is spawned with
   * them; whatever it reports running otherwise is pushed and read back first). Rejects with its
   * reason when it dies first. No settings change runs meanwhile.
   */
  startBroker(): Promise<void> {
    return this.serial.run(async () => {
      if (this.broker.running) return;
      await this.spawnBroker();
      await this.reconcileMaster();
    });
  }

  private spawnBroker(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.brokerReady = { resolve, reject };
    });
    // After a failover the old master rejoins as a slave of the promoted one (slave-node.ts).
    const rejoin = this.slaveNode.rejoinOptions();
    const brokerOptions = {
      identity: {
        brokerName: 'broker-a', brokerId: rejoin ? 1 : 0, listenPort: this.brokerPort, storePathRootDir: this.brokerView.storePath, namesrvAddr: this.namesrv.address,
        ...(rejoin ? { haMasterAddress: rejoin.haMasterAddress } : {}),
      },
      settings: rejoin ? { ...this.settings.get(), brokerRole: 'SLAVE' as const } : this.settings.get(),
      labBugs: labBugsOf(rejoin ? 'slave' : 'master', this.activeLabBugs),
      ...(rejoin?.truncateCommitLogTo !== undefined ? { ha: { truncateCommitLogTo: rejoin.truncateCommitLogTo } } : {}),
    };
    this.masterSettings.spawned();
    this.broker.start({ ZL_BROKER_OPTIONS: JSON.stringify(brokerOptions) });
    this.brokerView = { ...this.brokerView, ...this.broker.status };
    return ready;
  }

  /** The settings the master process should run: the saved ones, as a slave after a failover. */
  private masterDesired(): BrokerSettings {
    return this.slaveNode.promotion ? { ...this.settings.get(), brokerRole: 'SLAVE' } : this.settings.get();
  }

  private async reconcileMaster(): Promise<void> {
    const address = this.brokerAddress();
    const running = this.masterSettings.confirmed;
    if (!address || !running) return;
    const drift = settingsDrift(this.masterDesired(), running).filter((d) => d.key !== 'brokerRole' || !this.slaveNode.promotion);
    if (drift.length === 0) return;
    const patch = Object.fromEntries(drift.map((d) => [d.key, d.desired])) as BrokerSettingsPatch;
    this.masterSettings.confirm(await pushNodeSettings(this.admin, address, patch));
    await this.recordEvent('settings.reconciled', 'settings', `broker-a/0 started with ${drift.map((d) => `${d.key}=${String(d.running)}`).join(', ')}; set to the saved ${drift.map((d) => `${d.key}=${String(d.desired)}`).join(', ')}`, 'setting', drift);
  }

  async stopBroker(): Promise<void> {
    await this.broker.stop({ type: 'shutdown' });
  }

  /** A real crash: SIGKILL. Everything in the page cache survives; the OS keeps it. */
  killBroker(): void {
    void this.recordEvent('fault.kill', 'broker', 'SIGKILL sent to broker-a master', 'fault');
    this.broker.kill();
  }

  /** Power loss: the broker cuts its files to the fdatasync'd lengths and SIGKILLs itself. */
  powerLoss(): boolean {
    void this.recordEvent('fault.powerLoss', 'broker', 'power loss on broker-a master', 'fault');
    return this.broker.send({ type: 'powerLoss' });
  }

  brokerAddress(): string | undefined {
    return this.brokerView.port ? `127.0.0.1:${this.brokerView.port}` : undefined;
  }

  // ---- settings ----

  /**
   * Validates, applies to every running node and reads back what each now runs, and only then
   * saves: a setting a node refuses is neither in force anywhere nor remembered (the nodes already
   * changed are set back), and the error names the node. A node that is down starts with the saved
   * settings; one that is starting is waited for (the queue), then changed like the others.
   */
  updateSettings(patch: BrokerSettingsPatch): Promise<BrokerSettings> {
    return this.serial.run(() => this.applySettings(patch));
  }

  private async applySettings(patch: BrokerSettingsPatch): Promise<BrokerSettings> {
    const { settings, changed } = this.settings.preview(patch);
    const changedKeys = Object.keys(changed) as (keyof BrokerSettings)[];
    if (changedKeys.length === 0) return this.settings.get();
    const undo: { node: string; run: () => Promise<unknown> }[] = [];
    try {
      const previous = await this.pushToMaster(changedKeys, settings);
      if (previous) undo.push({ node: this.masterSettings.node, run: () => this.pushToMaster(Object.keys(previous) as (keyof BrokerSettings)[], { ...settings, ...previous }) });
      const slavePrevious = await this.slaveNode.pushSettings(changedKeys, settings);
      if (slavePrevious) undo.push({ node: this.slaveNode.settingsRecord.node, run: () => this.slaveNode.pushSettings(Object.keys(slavePrevious), { ...settings, ...slavePrevious }) });
    } catch (error) {
      const restored = await Promise.allSettled(undo.map((u) => u.run()));
      const notRestored = undo.filter((_, i) => restored[i]!.status === 'rejected').map((u) => u.node);
      const setBack = undo.map((u) => u.node).filter((n) => !notRestored.includes(n));
      const message = [
        (error as Error).message,
        setBack.length > 0 ? `set back: ${setBack.join(', ')}` : 'no other node had changed',
        ...(notRestored.length > 0 ? [`could not be set back: ${notRestored.join(', ')} (see their drift on the Settings page)`] : []),
        'nothing was saved',
      ].join('; ');
      await this.recordEvent('settings.refused', 'settings', message, 'setting', { patch });
      throw new Error(message);
    }
    await this.settings.commit(settings, Object.keys(patch) as (keyof BrokerSettings)[]);
    const label = changedKeys.map((k) => `${k} → ${String(changed[k]!.to)}`).join(', ');
    await this.recordEvent('settings.changed', 'settings', label, 'setting', changed);
    return settings;
  }

  /** Pushes to the running master process and reads back; returns what it ran before, or undefined when nothing was sent. */
  private async pushToMaster(keys: (keyof BrokerSettings)[], settings: BrokerSettings): Promise<BrokerSettingsPatch | undefined> {
    const address = this.brokerAddress();
    const before = this.masterSettings.confirmed;
    if (!this.broker.running || !address || !before) return undefined;
    // After a failover the master process is a slave: only promotion changes its role.
    const wanted = this.slaveNode.promotion ? keys.filter((k) => k !== 'brokerRole') : keys;
    if (wanted.length === 0) return undefined;
    const patch = Object.fromEntries(wanted.map((k) => [k, settings[k]])) as BrokerSettingsPatch;
    try {
      this.masterSettings.confirm(await pushNodeSettings(this.admin, address, patch));
    } catch (error) {
      throw new Error(`${this.masterSettings.node} did not confirm the settings: ${(error as Error).message}`);
    }
    return Object.fromEntries(wanted.map((k) => [k, before[k]])) as BrokerSettingsPatch;
  }

  /**
   * Sets every running node that drifted (changed behind the control plane's back, or left half
   * changed by a node that did not answer) back to the saved settings, reading each one first.
   */
  reconcileNodes(): Promise<NodeSettingsView[]> {
    return this.serial.run(async () => {
      const address = this.brokerAddress();
      if (this.broker.running && address) {
        this.masterSettings.confirm(await this.admin.getBrokerConfig(address));
        await this.reconcileMaster();
      }
      await this.slaveNode.readSettings();
      await this.slaveNode.reconcile();
      return this.nodeSettings();
    });
  }

  /** Each node's confirmed settings against the desired ones: confirmed, drift (key by key), starting or down. */
  nodeSettings(): NodeSettingsView[] {
    return [this.masterSettings.view(this.masterDesired()), this.slaveNode.settingsView()];
  }

  /**
   * Reads what every running node runs now (GET_BROKER_CONFIG, not the last report) and compares it
   * with `expected`: every key must match, brokerRole as each node's role should be (a slave is
   * SLAVE; a promoted node keeps the role it was promoted to). Returns the nodes' settings; the
   * mismatches are listed, never papered over. A drill judges only when this list is empty.
   */
  async verifyNodeSettings(expected: BrokerSettings, keys: (keyof BrokerSettings)[] = Object.keys(expected) as (keyof BrokerSettings)[]): Promise<{ nodes: NodeSettingsView[]; mismatches: string[] }> {
    return this.serial.run(async () => {
      const mismatches: string[] = [];
      const address = this.brokerAddress();
      if (this.broker.running && address) {
        try {
          this.masterSettings.confirm(await this.admin.getBrokerConfig(address));
        } catch (error) {
          mismatches.push(`${this.masterSettings.node} did not answer GET_BROKER_CONFIG: ${(error as Error).message}`);
        }
      }
      try {
        await this.slaveNode.readSettings();
      } catch (error) {
        mismatches.push(`${this.slaveNode.settingsRecord.node} did not answer GET_BROKER_CONFIG: ${(error as Error).message}`);
      }
      const check = (record: NodeSettingsRecord, desiredRole: BrokerSettings['brokerRole'] | undefined) => {
        const running = record.confirmed;
        if (!running) return;
        const want = { ...expected, ...(desiredRole ? { brokerRole: desiredRole } : {}) };
        const drift: SettingDrift[] = settingsDrift(want, running).filter((d) => keys.includes(d.key) && (d.key !== 'brokerRole' || desiredRole !== undefined));
        if (drift.length > 0) mismatches.push(describeDrift(record.node, drift));
      };
      const promoted = this.slaveNode.promotion;
      check(this.masterSettings, promoted ? 'SLAVE' : expected.brokerRole);
      check(this.slaveNode.settingsRecord, promoted ? undefined : 'SLAVE');
      return { nodes: this.nodeSettings(), mismatches };
    });
  }

  // ---- traffic ----

  async startTraffic(input: TrafficInput): Promise<void> {
    const brokerAddr = this.brokerAddress();
    if (!brokerAddr) throw new Error('the broker has not started yet: start it first');
    if (this.traffic.running) await this.stopTraffic();
    this.producerCount++;
    this.trafficConfig = {
      namesrvAddr: this.namesrv.address,
      topic: input.topic,
      producerGroup: TRAFFIC_PRODUCER_GROUP,
      producerId: `p${this.producerCount}-${Date.now().toString(36)}`,
      rate: input.rate,
      bodySize: input.bodySize,
      sendMode: input.sendMode,
      count: input.count,
      ...(input.keyPattern ? { keyPattern: input.keyPattern } : {}),
      sendMsgTimeout: this.settings.get().sendMsgTimeout,
      retryTimesWhenSendFailed: this.settings.get().retryTimesWhenSendFailed,
      retryTimesWhenSendAsyncFailed: this.settings.get().retryTimesWhenSendAsyncFailed,
      ...(input.viaClientProxy ? { brokerAddressMap: this.clientPort.addressMap() } : {}),
      ...(input.bodySeed !== undefined ? { bodySeed: input.bodySeed } : {}),
      ...(labBugsOf('producer', this.activeLabBugs).length > 0 ? { labBugs: labBugsOf('producer', this.activeLabBugs) } : {}),
    };
    this.traffic.start({ ZL_TRAFFIC: JSON.stringify(this.trafficConfig) });
    await this.recordEvent('traffic.started', 'traffic', `traffic ${input.rate} msg/s, ${input.bodySize} B, ${input.sendMode} send${input.keyPattern ? `, KEYS ${input.keyPattern}` : ''}`, 'traffic');
  }

  async stopTraffic(): Promise<void> {
    await this.traffic.stop({ type: 'stop' }, 8000);
  }

  /** A real producer crash: SIGKILL of the traffic runner; sends in flight are never answered. */
  killTraffic(): boolean {
    if (!this.traffic.running) return false;
    void this.recordEvent('fault.kill', 'traffic', 'SIGKILL sent to the traffic runner', 'fault');
    this.traffic.kill();
    return true;
  }

  // ---- lab bugs ----

  /** The deliberate bugs (broker/lab-bugs.ts) the processes this plane starts run with. */
  get labBugs(): readonly LabBug[] {
    return this.activeLabBugs;
  }

  /**
   * Switches the lab bugs of every process this plane starts from now on, and restarts each running
   * broker node whose bugs change (a clean stop, then a start with the new options) so they apply at
   * once; the producer and the consumers take theirs at their next start. Returns the nodes restarted.
   */
  async setLabBugs(bugs: readonly LabBug[]): Promise<string[]> {
    const before = this.activeLabBugs;
    this.activeLabBugs = [...bugs];
    const changed = (process: 'master' | 'slave') => labBugsOf(process, before).join() !== labBugsOf(process, bugs).join();
    const restarted: string[] = [];
    const masterAs = this.slaveNode.rejoinOptions() ? 'slave' : 'master';
    if (this.broker.running && changed(masterAs)) {
      await this.stopBroker();
      this.slaveNode.masterHa = undefined;
      await this.startBroker();
      restarted.push('broker-a master');
      // A slave retries its HA connection every few seconds: under SYNC_MASTER wait (bounded) until it
      // is back, so the sends that follow are not answered SLAVE_NOT_AVAILABLE for want of it.
      const deadline = Date.now() + LAB_BUG_SLAVE_RECONNECT_WAIT_MS;
      const slaveConnections = () => this.slaveNode.masterHa?.slaveConnections ?? 0;
      const waitForSlave = this.settings.get().brokerRole === 'SYNC_MASTER';
      while (waitForSlave && this.slaveNode.running && !this.slaveNode.promotion && slaveConnections() === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    // A promoted slave acts as the master now: it keeps running as it is.
    if (this.slaveNode.running && !this.slaveNode.promotion && changed('slave')) {
      await this.slaveNode.stop();
      await this.slaveNode.start();
      restarted.push('broker-a slave');
    }
    const words = bugs.length === 0 ? 'no deliberate bug' : `deliberate bug(s) ${bugs.map((b) => `${b} (${LAB_BUGS[b].process})`).join(', ')}`;
    await this.recordEvent('lab.bugs', 'broker', `lab: ${words}${restarted.length > 0 ? `; restarted ${restarted.join(', ')}` : ''}`, 'setting', { bugs, restarted });
    return restarted;
  }

  // ---- topics ----

  /** UPDATE_AND_CREATE_TOPIC (17) to the master, as `mqadmin updateTopic` sends it. */
  async createTopic(input: { topic: string; queueNums: number; perm: number }): Promise<void> {
    const address = this.brokerAddress();
    if (!this.broker.running || !address) throw new Error('the master is not running: start it first');
    try {
      await this.admin.createAndUpdateTopicConfig(address, { topic: input.topic, readQueueNums: input.queueNums, writeQueueNums: input.queueNums, perm: input.perm });
    } catch (error) {
      if (isZerolossError(error, 'BROKER_ERROR')) throw new Error(`the broker refused the topic: ${error.message}`);
      throw error;
    }
    await this.recordEvent('topic.created', 'topics', `topic ${input.topic} created or updated with ${input.queueNums} queues`, undefined, input);
  }

  /** Topics the name server routes (system topics included). */
  listTopics() {
    return this.namesrv.routes.topics();
  }

  // ---- consumers ----

  async startConsumers(input: FleetInput): Promise<void> {
    await this.consumers.start({ ...input, labBugs: labBugsOf('consumer', this.activeLabBugs) });
  }

  async stopConsumers(): Promise<void> {
    await this.consumers.stop();
  }

  /** A real consumer crash: SIGKILL of consumer `index` (0-based). */
  killConsumer(index: number): boolean {
    const killed = this.consumers.kill(index);
    if (killed) void this.recordEvent('fault.kill', 'consumers', `SIGKILL sent to consumer ${index + 1}`, 'fault');
    return killed;
  }

  restartConsumer(index: number): boolean {
    return this.consumers.restart(index);
  }

  // ---- state ----

  /**
   * Where the live state reads the running drill from. Whoever composes the lab (server/lab.ts) wires
   * its drill runner here; a plane without one shows no drill.
   */
  showDrillStatus(source: () => DrillStatus | null): void {
    this.drillStatus = source;
  }

  state(now = Date.now()): LiveState {
    const settings = this.settings.get();
    return {
      t: now,
      broker: { ...this.brokerView, ...this.broker.status, address: this.brokerAddress() },
      traffic: { ...this.traffic.status, config: this.trafficConfig },
      settings: { flushDiskType: settings.flushDiskType, brokerRole: settings.brokerRole },
      nodes: this.nodeSettings(),
      totals: {
        ...this.aggregator.totals,
        byStatus: { ...this.aggregator.totals.byStatus },
        sequence: { ...this.aggregator.sequence.counts, missingNow: this.aggregator.sequence.missingCount() },
      },
      consumers: { running: this.consumers.running, input: this.consumers.input, members: this.consumers.views() },
      namesrv: this.namesrv.port ? { address: this.namesrv.address } : undefined,
      clients: this.clientViews(),
      replication: this.slaveNode.view(),
      markers: this.markers.slice(-50),
      drill: this.drillStatus?.() ?? undefined,
    };
  }

  /**
   * Producer and consumer groups the master knows from heartbeats, marked built-in (this lab's traffic
   * runner and consumers) or external (a user's own RocketMQ application pointed at Zeroloss).
   */
  private clientViews(): ClientGroupView[] {
    const builtInConsumerGroup = this.consumers.input?.consumerGroup;
    const views: ClientGroupView[] = [];
    for (const [group, clientIds] of Object.entries(this.clients.producers)) {
      views.push({ kind: 'producer', group, clientIds, topics: [], external: group !== TRAFFIC_PRODUCER_GROUP && group !== CONSOLE_PRODUCER_GROUP && !group.startsWith('CID_') });
    }
    for (const [group, info] of Object.entries(this.clients.consumers)) {
      views.push({ kind: 'consumer', group, clientIds: info.clientIds, topics: info.topics.filter((t) => !t.startsWith(RETRY_GROUP_TOPIC_PREFIX)), external: group !== builtInConsumerGroup && !info.clientIds.every(isLabClientId) });
    }
    return views.sort((a, b) => Number(b.external) - Number(a.external) || a.group.localeCompare(b.group));
  }

  brokerOutput(): string[] {
    return this.broker.output();
  }

  async recentEvents(limit: number) {
    return this.prisma.clusterEvent.findMany({ orderBy: { id: 'desc' }, take: limit });
  }

  private recordGapSummary(now: number): void {
    if (this.pendingGaps.length === 0 || now - this.lastGapEventMs < 1000) return;
    const gaps = this.pendingGaps;
    this.pendingGaps = [];
    this.lastGapEventMs = now;
    const shown = gaps.slice(0, 3).map((g) => `producer ${g.producerId} queue ${g.queue} missing ${g.from}${g.to > g.from ? `..${g.to}` : ''}`);
    const message = gaps.length === 1 ? `sequence gap: ${shown[0]}` : `${gaps.length}${gaps.length >= 100 ? '+' : ''} sequence gaps: ${shown.join('; ')}${gaps.length > 3 ? '; …' : ''}`;
    void this.recordEvent('sequence.gap', 'consumers', message);
  }

  private emitTick(): void {
    const sample = this.aggregator.sample();
    this.recordGapSummary(sample.t);
    this.emit('tick', sample, this.state(sample.t));
  }

  private async recordEvent(kind: string, subject: string, message: string, marker?: ChartMarker['kind'], detail: unknown = {}): Promise<void> {
    this.emit('clusterEvent', { kind, subject, message, detail, atMs: Date.now() });
    if (marker) {
      this.markers.push({ t: Date.now(), kind: marker, label: message });
      if (this.markers.length > MARKERS_KEPT) this.markers.shift();
    }
    try {
      await this.prisma.clusterEvent.create({ data: { kind, subject, message, detail: JSON.stringify(detail) } });
    } catch (error) {
      console.error(`[control-plane] could not record event ${kind}: ${(error as Error).message}`);
    }
  }

  private onBrokerMessage(message: BrokerToParent): void {
    switch (message.type) {
      case 'ready':
        this.broker.markRunning();
        this.masterSettings.confirm(message.settings);
        this.brokerPort = message.port;
        this.brokerView = { ...this.brokerView, ...this.broker.status, port: message.port, lastRecovery: message.recovery };
        this.brokerReady?.resolve();
        this.brokerReady = undefined;
        this.clientPort.setTarget(`127.0.0.1:${message.port}`);
        if (message.haPort) this.slaveNode.setMasterHa(`127.0.0.1:${message.haPort}`);
        void this.recordEvent('process.started', 'broker', `broker-a master running on 127.0.0.1:${message.port}${message.recovery.abnormal ? ' (recovered after an unclean stop)' : ''}`, 'process', message.recovery);
        break;
      case 'fatal':
        // The same sentence reaches stderr, and the exit reason carries the last stderr line.
        break;
      case 'stats':
        this.aggregator.setBrokerStats(message.stats);
        if (message.stats.clients) this.clients = message.stats.clients;
        this.slaveNode.masterHa = message.stats.ha;
        break;
      case 'ha':
        this.slaveNode.noteEvent(message.event, 'master');
        break;
      case 'stage':
        this.emit('stage', message);
        this.aggregator.addStored(message.stored.length);
        if (message.dlq && message.dlq.length > 0) {
          this.aggregator.totals.dlq += message.dlq.length;
          void this.recordEvent('message.dlq', 'broker', `${message.dlq.length} message(s) moved to a dead-letter queue after maxReconsumeTimes: ${message.dlq.slice(0, 3).join(', ')}${message.dlq.length > 3 ? ', …' : ''}`);
        }
        break;
      case 'settings':
        // the broker's own report of what it runs now (a change it applied, a promotion)
        this.masterSettings.confirm(message.settings);
        break;
      case 'powerCut': {
        this.emit('powerCut', message);
        const lostBytes = message.cut.reduce((n, c) => n + c.lostBytes, 0);
        this.brokerView = { ...this.brokerView, lastPowerCut: { atMs: Date.now(), lostBytes, flushedOffset: message.flushedOffset, maxOffset: message.maxOffset } };
        void this.recordEvent('fault.powerCut', 'broker', `power cut: ${lostBytes} unflushed bytes lost`, undefined, message);
        break;
      }
    }
  }

  private onTrafficMessage(message: TrafficToParent): void {
    switch (message.type) {
      case 'ready':
        this.traffic.markRunning();
        break;
      case 'outcomes':
        this.emit('outcomes', message.outcomes);
        this.aggregator.addOutcomes(message.outcomes);
        break;
      case 'done':
      case 'fatal':
        break;
    }
  }
}
