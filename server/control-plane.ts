/**
 * The control plane's core, without HTTP: it runs the broker groups of the topology
 * (server/cluster/topology.ts; server/cluster/broker-group.ts: one supervisor per replica), the
 * name server, the traffic runner and the consumers; applies
 * settings (persisted through Prisma, pushed to every running replica with UPDATE_BROKER_CONFIG);
 * aggregates what the children report into live samples; and records cluster events.
 * server/lab.ts composes it with the drill runner and the message console; server/main.ts puts
 * Next.js, tRPC and the WebSocket stream in front of them.
 */
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { PrismaClient } from '@prisma/client';
import { isZerolossError } from '../broker/errors/errors';
import { MQAdminClient } from './cluster/admin-client';
import { CONTROLLER_KEYS, controllerSettingsOf, producerSettingsOf, type BrokerSettings, type BrokerSettingsPatch, type ControllerSettings, type RemotingServerConfig } from '../broker/config/broker-config';
import { SerialQueue, type NodeSettingsView } from './cluster/node-settings';
import type { ClientsSnapshot, ConsumeEvent, ParentToTraffic, SendOutcome, TrafficConfig, TrafficToParent } from '../broker/ipc';
import type { DrillStatus } from './drills/types';
import { PROJECT_ROOT, SupervisedChild } from './cluster/child-process';
import { Aggregator } from './live/aggregator';
import { SAMPLE_INTERVAL_MS, type ProducerView, type ClientGroupView, type BrokerView, type ChartMarker, type LiveSample, type LiveState } from './live/types';
import { SettingsService } from './settings/settings-service';
import { NamesrvController } from '../broker/namesrv/namesrv-controller';
import { DEFAULT_NAMESRV_PORT, RETRY_GROUP_TOPIC_PREFIX } from '../broker/protocol/codes';
import { ConsumerFleet, type FleetInput } from './traffic/consumer-fleet';
import { BrokerGroup } from './cluster/broker-group';
import { pushSettingsToGroups, type ReplicaGroup, type ReplicaGroupOptions, type ReplicaView } from './cluster/replica-group';
import { ControllerModeGroup } from './cluster/controller-mode-group';
import { ControllerNode } from './cluster/controller-node';
import { DEFAULT_TOPOLOGY, SettingsContradiction, TopologySchema, describeTopology, groupName, settingsContradiction, type Topology } from './cluster/topology';
import { refusalOnThisMachine } from './cluster/machine-fit';
import type { BrokerNode } from './cluster/broker-node';
import type { PowerCutReport, StageBatch } from '../broker/ipc';
import { ClientPortProxy } from './cluster/client-port-proxy';
import { MessageTracker } from './live/message-tracker';
import { CONSOLE_PRODUCER_GROUP, TRAFFIC_PRODUCER_GROUP, isLabClientId } from './traffic/lab-clients';
import { LAB_BUGS, labBugsOf, type LabBug } from '../broker/lab-bugs';
import { EMBEDDED_TARGET, type TrafficTarget, type TrafficTargetChoice } from './traffic/traffic-target';
import { ExternalCluster } from './external/external-cluster';
import { adminAccount, type PlainAclConfig } from '../broker/acl/plain-access-validator';
import { sessionCredentialsEnvironment, type SessionCredentials } from '../broker/acl/acl-signature';
import { credentialsOf } from './external/acl-account';

export interface ControlPlaneOptions {
  prisma: PrismaClient;
  /** where broker stores live: <dataDir>/<cluster>/master and …/slave */
  dataDir?: string;
  /** broker-a/0's listen port; 0 picks a free one (kept across restarts) */
  brokerPort?: number;
  /** the name server's port (RocketMQ's 9876 by default); 0 picks a free one */
  namesrvPort?: number;
  clusterName?: string;
  /** start every group's other replicas (slaves, HA through the fault proxy) with its master */
  startSlave?: boolean;
  /** the cluster's shape; absent: the saved one (cluster.setTopology), or one group of master + slave */
  topology?: Topology;
  /** deliberate bugs every process this plane starts runs with (broker/lab-bugs.ts; ZL_LAB_BUGS): a lab flag, never a setting */
  labBugs?: LabBug[];
  /** the name server's and every broker's listener limits (ZL_REMOTING); absent keys keep RocketMQ's defaults */
  remoting?: Partial<RemotingServerConfig>;
  /**
   * RocketMQ 4.x's ACL on every broker (`zeroloss cluster --acl-file`): the plane's own admin requests
   * are signed by the first admin account; its traffic and consumers are not (a cluster with ACL is
   * drilled from outside, as an external target)
   */
  acl?: PlainAclConfig;
}

export interface TrafficInput {
  rate: number;
  bodySize: number;
  sendMode: TrafficConfig['sendMode'];
  count: number;
  topic: string;
  /** KEYS pattern ({n}, {producer}); absent = messages carry no KEYS */
  keyPattern?: string;
  /** send through the fault proxy in front of broker-a/0's client port (a drill's producer-link faults) */
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
  /** the acting master's stage batches (whichever replica is the master now): stored records and the durable watermarks */
  stage: [StageBatch];
  /** a replica's power cut report (files cut to their fdatasync'd lengths) */
  powerCut: [PowerCutReport];
  /** every recorded cluster event (process exits, faults, setting flips, traffic) */
  clusterEvent: [{ kind: string; subject: string; message: string; detail: unknown; atMs: number }];
  /** the Traffic and Messages pages were pointed at another cluster */
  trafficTarget: [TrafficTarget];
}

export class ControlPlane extends EventEmitter<ControlPlaneEvents> {
  readonly settings: SettingsService;
  readonly aggregator = new Aggregator();
  readonly prisma: PrismaClient;
  /** the running drill, shown in the live state (see showDrillStatus) */
  private drillStatus: (() => DrillStatus | null) | undefined;
  /** the one admin client every request of the plane and its replicas goes through (closed in stop) */
  readonly admin: MQAdminClient;
  private readonly traffic: SupervisedChild<ParentToTraffic, TrafficToParent>;
  private trafficConfig: TrafficConfig | undefined;
  /** where the traffic runner's producer wrote, per group, and the groups it avoids now */
  private producerView: ProducerView = { answeredBy: {}, avoided: [] };
  private readonly markers: ChartMarker[] = [];
  private sampler: NodeJS.Timeout | undefined;
  private producerCount = 0;
  private target: TrafficTarget = EMBEDDED_TARGET;
  /** the name server lives in the control plane process: it survives every broker crash */
  readonly namesrv: NamesrvController;
  readonly consumers: ConsumerFleet;
  /** sequence gaps seen since the last summary event (at most one event a second, so a flood stays readable) */
  private pendingGaps: { producerId: string; queue: string; from: number; to: number }[] = [];
  private lastGapEventMs = 0;
  /** broker-a/0's client registry, as its last stats reported it */
  private clients: ClientsSnapshot = { producers: {}, consumers: {} };
  /** the broker groups of the topology, broker-a first: classic (BrokerGroup) or controller mode (ControllerModeGroup) */
  private brokerGroups: ReplicaGroup[] = [];
  /** controller mode's controller (enableControllerMode); stopped in classic mode */
  readonly controller: ControllerNode;
  private currentTopology: Topology;
  /** the fault proxy in front of broker-a/0's client port; the traffic runner sends through it when asked */
  readonly clientPort = new ClientPortProxy((kind, message) => void this.recordEvent(kind, 'broker', message, 'fault'));
  /** per-message records (the Messages page's durability ladder), fed by this plane's own events */
  private readonly messageTracker = new MessageTracker();
  /** settings changes and replica starts run one at a time: a change never slips past a starting replica */
  private readonly serial = new SerialQueue();
  /** deliberate bugs of the processes this plane starts (broker/lab-bugs.ts): ZL_LAB_BUGS, or a drill run's for its run */
  private activeLabBugs: readonly LabBug[];
  /** events recorded so far (LiveState.eventSeq) */
  private eventSeq = 0;

  get messages(): MessageTracker {
    return this.messageTracker;
  }

  constructor(private readonly options: ControlPlaneOptions) {
    super();
    this.prisma = options.prisma;
    this.settings = new SettingsService(options.prisma);
    this.activeLabBugs = options.labBugs ?? [];
    this.admin = new MQAdminClient(undefined, options.acl ? adminCredentials(options.acl) : undefined);
    const topology = options.topology ?? DEFAULT_TOPOLOGY;
    const refusal = refusalOnThisMachine(TopologySchema.parse(topology));
    if (refusal) throw new Error(refusal);
    this.currentTopology = topology;
    this.controller = new ControllerNode({
      storeRoot: this.clusterRoot,
      record: (kind, subject, message, marker, detail) => void this.recordEvent(kind, subject, message, marker, detail),
    });
    this.brokerGroups = this.buildGroups(topology);
    this.namesrv = new NamesrvController({
      brokerRegistered: (addr, name, id, isNew) => {
        if (isNew) void this.recordEvent('namesrv.registered', 'namesrv', `${name} (brokerId ${id}) at ${addr} registered with the name server`);
      },
      brokerGone: (addr, why) => void this.recordEvent('namesrv.removed', 'namesrv', `broker at ${addr} left the routes: ${why}`),
      // On the console only: one database row per connection an attacker opens would be the flood.
      connectionShed: (message) => console.error(`[namesrv] ${message}`),
    }, undefined, options.remoting);
    this.consumers = new ConsumerFleet(path.resolve(PROJECT_ROOT, options.dataDir ?? 'data', options.clusterName ?? 'DefaultCluster'), () => this.clientNamesrv(), {
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
    if (!this.options.topology) this.currentTopology = await this.savedTopology();
    // The saved settings may ask for controller mode: the groups are built again for what was saved.
    this.brokerGroups = this.buildGroups(this.currentTopology);
    await this.namesrv.start(this.options.namesrvPort ?? DEFAULT_NAMESRV_PORT);
    this.sampler = setInterval(() => this.emitTick(), SAMPLE_INTERVAL_MS);
    await this.clientPort.listen();
    await this.startGroups();
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.consumers.stop();
    await this.traffic.stop({ type: 'stop' });
    for (const group of this.brokerGroups) await group.close();
    await this.controller.stop();
    this.admin.close();
    await this.clientPort.close();
    await this.namesrv.shutdown();
  }

  // ---- the topology ----

  /** The cluster's shape now. */
  get topology(): Topology {
    return { ...this.currentTopology };
  }

  /** Every broker group, broker-a first. */
  get groups(): readonly ReplicaGroup[] {
    return this.brokerGroups;
  }

  /** broker-a, whatever the mode: the group the client-port proxy and "the broker" / "the slave" of the API belong to. */
  get firstGroup(): ReplicaGroup {
    return this.brokerGroups[0]!;
  }

  /**
   * Starts every broker replica that crashed again after `delayMs`, as a service manager would
   * (systemd's Restart=on-failure with RestartSec): `zeroloss cluster --restart-crashed` makes the
   * headless cluster behave like brokers run as services, so a drill run against it from outside
   * (server/external/) sees its killed broker come back by itself. Stopped on purpose: left alone.
   */
  superviseReplicas(delayMs: number): void {
    this.on('clusterEvent', (e) => {
      if (e.kind !== 'process.crashed') return;
      for (const group of this.brokerGroups) {
        const node = group.replicas.find((n) => n.subject === e.subject);
        if (!node) continue;
        setTimeout(() => {
          group.start(node).then(
            () => void this.recordEvent('process.restarted', node.subject, `${node.processName} started again ${delayMs} ms after its crash (--restart-crashed)`, 'process'),
            (error: Error) => console.error(`[cluster] ${node.processName} did not start again: ${error.message}`),
          );
        }, delayMs).unref();
      }
    });
  }

  /** Starts the controller with the saved settings (on its old port, its record on disk); resolves once it listens. */
  startController(): Promise<void> {
    return this.controller.start(controllerSettingsOf(this.settings.get()));
  }

  /**
   * Controller mode: cuts a replica (broker-a/1, …) from the other replicas of its group and from the
   * controller, both ways, or heals it; its producers and consumers still reach it (apache/rocketmq#7017's
   * partition). Refused with the reason in classic mode or for a replica the topology does not have.
   */
  isolateReplica(name: string, isolated: boolean): ReplicaView {
    const [brokerName, id] = name.split('/');
    const group = this.brokerGroups.find((g) => g.brokerName === brokerName);
    if (!group) throw new Error(`no group ${brokerName}: the cluster has ${this.brokerGroups.map((g) => g.brokerName).join(', ')}`);
    if (!(group instanceof ControllerModeGroup)) throw new Error('the cluster runs classic mode: a replica is cut from its master with the HA link fault (cluster.setLinkFault); isolating one from the controller needs enableControllerMode');
    const node = group.replica(Number(id));
    group.isolate(node, isolated);
    return group.groupView().replicas.find((r) => r.name === node.name)!;
  }

  /** Heals every replica isolated now (isolateReplica); returns their names. */
  healIsolatedReplicas(): string[] {
    return this.brokerGroups.flatMap((g) => (g instanceof ControllerModeGroup ? g.healIsolated() : []));
  }

  /** Whether the cluster runs RocketMQ 5's controller mode (the saved enableControllerMode). */
  get controllerMode(): boolean {
    return this.settings.get().enableControllerMode;
  }

  /**
   * broker-a in classic mode: the group the drills, promotion, rebuild and the HA link of the API act
   * on. Refused with the reason in controller mode, where the controller elects masters.
   */
  get group(): BrokerGroup {
    return this.classicGroups[0]!;
  }

  /** broker-a's last promotion in classic mode; undefined in controller mode (the controller elects) or before any. */
  get classicPromotion(): BrokerGroup['promotion'] {
    const first = this.brokerGroups[0];
    return first instanceof BrokerGroup ? first.promotion : undefined;
  }

  /** Every group in classic mode, for what only classic mode has (one HA link per group, promotion); refused in controller mode. */
  get classicGroups(): readonly BrokerGroup[] {
    return this.brokerGroups.map((g) => {
      if (!(g instanceof BrokerGroup)) throw new Error('the cluster runs controller mode (enableControllerMode): the controller elects each group\'s master, so the lab neither promotes nor rebuilds a replica, and each replica has its own HA link');
      return g;
    });
  }

  /** Every replica of every group. */
  get nodes(): BrokerNode[] {
    return this.brokerGroups.flatMap((g) => [...g.replicas]);
  }

  /**
   * Changes the cluster's shape: refused with the reason when it is invalid or this machine cannot
   * run it; otherwise every replica is stopped cleanly, the groups are rebuilt, each starts again
   * (the replicas that remain keep their stores), and the shape is saved for the next start.
   * Traffic and consumers keep running; they find the new groups through the name server.
   */
  setTopology(input: Topology): Promise<Topology> {
    const parsed = TopologySchema.safeParse(input);
    if (!parsed.success) return Promise.reject(new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')));
    const topology = parsed.data;
    const refusal = refusalOnThisMachine(topology) ?? settingsContradiction(this.settings.get(), topology);
    if (refusal) return Promise.reject(new Error(refusal));
    return this.serial.run(async () => {
      const before = this.currentTopology;
      for (const group of this.brokerGroups) await group.close();
      await this.controller.stop();
      this.currentTopology = topology;
      this.brokerGroups = this.buildGroups(topology);
      const isDefault = topology.groups === DEFAULT_TOPOLOGY.groups && topology.replicas === DEFAULT_TOPOLOGY.replicas;
      await (isDefault
        ? this.prisma.clusterTopology.deleteMany({})
        : this.prisma.clusterTopology.upsert({ where: { id: 1 }, create: { id: 1, ...topology }, update: topology }));
      await this.recordEvent('cluster.topology', 'broker', `topology ${describeTopology(before)} → ${describeTopology(topology)}`, 'setting', { before, after: topology });
      return topology;
    }).then(async (topology) => {
      await this.startGroups();
      return topology;
    });
  }

  private async savedTopology(): Promise<Topology> {
    const row = await this.prisma.clusterTopology.findUnique({ where: { id: 1 } });
    if (!row) return DEFAULT_TOPOLOGY;
    const parsed = TopologySchema.safeParse({ groups: row.groups, replicas: row.replicas });
    const refusal = parsed.success ? refusalOnThisMachine(parsed.data) : parsed.error.issues.map((i) => i.message).join('; ');
    if (!parsed.success || refusal) {
      console.warn(`[control-plane] the saved topology ${row.groups} × ${row.replicas} cannot run (${refusal}); using ${describeTopology(DEFAULT_TOPOLOGY)}`);
      return DEFAULT_TOPOLOGY;
    }
    return parsed.data;
  }

  /** where the cluster's stores live: <dataDir>/<cluster> */
  private get clusterRoot(): string {
    return path.resolve(PROJECT_ROOT, this.options.dataDir ?? 'data', this.options.clusterName ?? 'DefaultCluster');
  }

  /** The groups of `topology` in the saved mode (classic, or controller mode), their replicas listened to; nothing starts. */
  private buildGroups(topology: Topology): ReplicaGroup[] {
    const cluster = this.options.clusterName ?? 'DefaultCluster';
    const clusterRoot = this.clusterRoot;
    const firstPort = this.options.brokerPort ?? 10911;
    const controllerMode = this.settings.get().enableControllerMode;
    const groups = Array.from({ length: topology.groups }, (_, index): ReplicaGroup => {
      const options: ReplicaGroupOptions = {
      admin: this.admin,
      clusterName: cluster,
      brokerName: groupName(index),
      replicas: topology.replicas,
      // broker-a's stores stay where they always were: <cluster>/master and <cluster>/slave.
      legacyNames: index === 0,
      rolesMove: controllerMode,
      storeRoot: index === 0 ? clusterRoot : path.join(clusterRoot, groupName(index)),
      // broker-b's master on 10912, broker-c's on 10913, … as RocketMQ's quick starts lay them out.
      firstPort: firstPort === 0 ? 0 : firstPort + index,
      namesrvAddr: () => (this.namesrv.port ? this.namesrv.address : undefined),
      settings: () => this.settings.get(),
      labBugs: (process) => labBugsOf(process, this.activeLabBugs),
      remoting: this.options.remoting ?? {},
      ...(this.options.acl ? { acl: this.options.acl } : {}),
      serial: this.serial,
      record: (kind, subject, message, marker, detail) => void this.recordEvent(kind, subject, message, marker, detail),
      };
      return controllerMode ? new ControllerModeGroup({ ...options, controllerAddr: () => this.controller.address }) : new BrokerGroup(options);
    });
    const first = groups[0]!.replicas[0]!;
    for (const group of groups) {
      for (const node of group.replicas) {
        node.listen({
          ready: (n, report) => {
            if (n === first) this.clientPort.setTarget(`127.0.0.1:${report.port}`);
          },
          exited: (n) => {
            if (n === first) this.aggregator.resetBrokerStats();
          },
          stats: (n, stats) => {
            if (n !== first) return;
            this.aggregator.setBrokerStats(stats);
            if (stats.clients) this.clients = stats.clients;
          },
          // Only an acting master's batches count: a slave's are the same records, replicated.
          stage: (n, batch) => {
            if (n.role !== 'SLAVE') this.onStage({ ...batch, brokerName: group.brokerName });
          },
          powerCut: (_n, report) => this.emit('powerCut', { ...report, brokerName: group.brokerName }),
        });
      }
    }
    return groups;
  }

  /** Starts every group's first replica, then (startSlave) the others; a slave that does not start is logged. */
  private async startGroups(): Promise<void> {
    if (this.controllerMode) await this.startController();
    for (const group of this.brokerGroups) await group.start(group.replicas[0]!);
    if (!this.options.startSlave) return;
    for (const group of this.brokerGroups) {
      for (const node of group.replicas.slice(1)) {
        await group.start(node).catch((error: unknown) => console.error(`[control-plane] ${node.processName} did not start: ${(error as Error).message}`));
      }
    }
  }

  /**
   * Resolves once every group has a running master (in controller mode: one the controller elected
   * and the replica confirmed); rejects after `timeoutMs`, naming the groups without one.
   */
  async waitForMasters(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const without = this.brokerGroups.filter((g) => !g.master?.running || g.master.role === 'SLAVE');
      if (without.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${without.map((g) => g.brokerName).join(', ')} ha${without.length === 1 ? 's' : 've'} no master after ${timeoutMs} ms${this.controllerMode ? ': the controller elected none (see its events)' : ''}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Controller mode: resolves once every group's SyncStateSet holds every replica that runs (a group
   * at rest, each slave caught up); rejects after `timeoutMs`, naming the groups and their sets.
   */
  async waitForFullSyncStateSets(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const views = this.brokerGroups.map((g) => g.groupView());
      const short = views.filter((g) => (g.controller?.syncStateSet.length ?? 0) < g.replicas.filter((r) => r.state === 'running').length);
      if (short.length === 0) return;
      if (Date.now() > deadline) throw new Error(`the SyncStateSet of ${short.map((g) => `${g.brokerName} holds {${g.controller?.syncStateSet.join(', ') ?? ''}}`).join('; ')} after ${timeoutMs} ms, not every running replica`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  // ---- the replicas ----

  /**
   * broker-a/0: what the API calls "the broker" (cluster.startBroker, killBroker, powerLoss) and the
   * live state shows as `broker`, with the live charts' broker figures and the client-port proxy in
   * front of it, whatever its role now (a master, or a slave after a failover).
   */
  get firstReplica(): BrokerNode {
    return this.firstGroup.replica(0);
  }

  /**
   * broker-a/1: what the API calls "the slave" (cluster.startSlave, killSlave, promoteSlave) and the
   * live state shows as `replication.slave`. Throws, saying so, when the topology runs a master alone.
   */
  get secondReplica(): BrokerNode {
    return this.firstGroup.replica(1);
  }

  /** broker-a/1 exists and runs */
  get slaveRunning(): boolean {
    return this.firstGroup.replicas[1]?.running ?? false;
  }

  /**
   * Starts broker-a/0 and resolves once it listens and runs the saved settings (it is spawned with
   * them; whatever it reports running otherwise is pushed and read back first). Rejects with its
   * reason when it dies first. No settings change runs meanwhile. After a failover it rejoins as a
   * slave of the promoted replica.
   */
  startBroker(): Promise<void> {
    return this.firstGroup.start(this.firstReplica);
  }

  async stopBroker(): Promise<void> {
    await this.firstReplica.stop();
  }

  /**
   * A real crash of broker-a/0: SIGKILL. Everything in the page cache survives; the OS keeps it.
   * Resolves once the exit is seen (a drill that must act at the moment of the kill does not wait).
   */
  killBroker(): Promise<void> {
    return this.firstReplica.kill();
  }

  /** Power loss on broker-a/0: it cuts its files to the fdatasync'd lengths and SIGKILLs itself. */
  powerLoss(): boolean {
    return this.firstReplica.powerLoss();
  }

  /** broker-a/0's address; it keeps it across restarts, so it is known while it is down too. */
  brokerAddress(): string | undefined {
    return this.firstReplica.address;
  }

  /** Starts broker-a/1 as the slave; refused while it runs, or after it was promoted. */
  async startSlave(): Promise<void> {
    if (this.secondReplica.running) throw new Error('the slave is already running');
    await this.firstGroup.start(this.secondReplica);
  }

  async stopSlave(): Promise<void> {
    await this.secondReplica.stop();
  }

  killSlave(): Promise<void> {
    return this.secondReplica.kill();
  }

  // ---- settings ----

  /**
   * Validates, applies to every running replica and reads back what each now runs, and only then
   * saves: a setting a replica refuses is neither in force anywhere nor remembered (the replicas
   * already changed are set back), and the error names the replica. A replica that is down starts
   * with the saved settings; one that is starting is waited for (the queue), then changed like the others.
   */
  updateSettings(patch: BrokerSettingsPatch): Promise<BrokerSettings> {
    let restart = false;
    return this.serial.run(async () => {
      const applied = await this.applySettings(patch);
      restart = applied.restart;
      return applied.settings;
    }).then(async (settings) => {
      // Controller mode's keys are fixed for the life of a process: the cluster was stopped, it starts again.
      if (restart) await this.startGroups();
      return settings;
    });
  }

  private async applySettings(patch: BrokerSettingsPatch): Promise<{ settings: BrokerSettings; restart: boolean }> {
    const { settings, changed } = this.settings.preview(patch);
    const changedKeys = Object.keys(changed) as (keyof BrokerSettings)[];
    if (changedKeys.length === 0) return { settings: this.settings.get(), restart: false };
    const contradiction = settingsContradiction(settings, this.currentTopology);
    if (contradiction) {
      await this.recordEvent('settings.refused', 'settings', contradiction, 'setting', { patch });
      throw new SettingsContradiction(contradiction);
    }
    const label = changedKeys.map((k) => `${k} → ${String(changed[k]!.to)}`).join(', ');
    const fixed = changedKeys.filter((k) => (CONTROLLER_KEYS as readonly string[]).includes(k));
    if (fixed.length > 0) {
      // Nothing to push: every replica and the controller stop, and start again with the saved settings.
      for (const group of this.brokerGroups) await group.close();
      await this.controller.stop();
      await this.settings.commit(settings, Object.keys(patch) as (keyof BrokerSettings)[]);
      this.brokerGroups = this.buildGroups(this.currentTopology);
      await this.recordEvent('settings.changed', 'settings', `${label} (${fixed.join(', ')} fixed for the life of a process: the cluster restarts${settings.enableControllerMode ? ' in controller mode' : ''})`, 'setting', changed);
      return { settings, restart: true };
    }
    try {
      await pushSettingsToGroups(this.brokerGroups, changedKeys, settings);
    } catch (error) {
      const message = (error as Error).message;
      await this.recordEvent('settings.refused', 'settings', message, 'setting', { patch });
      throw new Error(message);
    }
    await this.settings.commit(settings, Object.keys(patch) as (keyof BrokerSettings)[]);
    await this.recordEvent('settings.changed', 'settings', label, 'setting', changed);
    return { settings, restart: false };
  }

  /**
   * Sets every running replica that drifted (changed behind the control plane's back, or left half
   * changed by a replica that did not answer) back to the saved settings, reading each one first.
   */
  reconcileNodes(): Promise<NodeSettingsView[]> {
    return this.serial.run(async () => {
      for (const group of this.brokerGroups) await group.reconcileAll();
      return this.nodeSettings();
    });
  }

  /** Each replica's confirmed settings against the desired ones: confirmed, drift (key by key), starting or down. */
  nodeSettings(): NodeSettingsView[] {
    return this.brokerGroups.flatMap((g) => g.settingsViews());
  }

  /**
   * Reads what every running replica runs now (GET_BROKER_CONFIG, not the last report) and compares
   * it with `expected`: every key must match, brokerRole as each replica's role should be (a slave is
   * SLAVE; a promoted replica keeps the role it was promoted to). Returns the replicas' settings; the
   * mismatches are listed, never papered over. A drill judges only when this list is empty.
   */
  async verifyNodeSettings(expected: BrokerSettings, keys: (keyof BrokerSettings)[] = Object.keys(expected) as (keyof BrokerSettings)[]): Promise<{ nodes: NodeSettingsView[]; mismatches: string[] }> {
    return this.serial.run(async () => {
      const mismatches: string[] = [];
      for (const group of this.brokerGroups) mismatches.push(...await group.verify(expected, keys));
      if (expected.enableControllerMode) mismatches.push(...this.verifyController(expected, keys));
      return { nodes: this.nodeSettings(), mismatches };
    });
  }

  /** The controller's own keys (enableElectUncleanMaster, …) as it said it runs them, against `expected`. */
  private verifyController(expected: BrokerSettings, keys: (keyof BrokerSettings)[]): string[] {
    const running = this.controller.settings;
    if (!running) return ['the controller is not running: controller mode has no one to elect a master'];
    const want = controllerSettingsOf(expected);
    const drift = (Object.keys(want) as (keyof ControllerSettings)[]).filter((k) => keys.includes(k) && want[k] !== running[k]);
    return drift.length > 0 ? [`the controller runs ${drift.map((k) => `${k}=${String(running[k])} (wanted ${String(want[k])})`).join(', ')}`] : [];
  }

  // ---- traffic ----

  /** Where the Traffic and Messages pages' clients go (server/traffic/traffic-target.ts). */
  get trafficTarget(): TrafficTarget {
    return this.target;
  }

  /** The ACL account the traffic runner, the consumers and the console's client sign with (an external target's). */
  clientCredentials(): SessionCredentials | undefined {
    return this.target.kind === 'external' ? this.target.credentials : undefined;
  }

  /** The name servers the traffic runner, the consumers and the console's client ask. */
  clientNamesrv(): string {
    return this.target.kind === 'external' ? this.target.namesrvAddrs.join(';') : this.namesrv.address;
  }

  /**
   * Points the Traffic and Messages pages at another cluster, or back at the embedded one. Refused
   * while traffic or consumers run (their clients were started against the current target); an
   * external target must answer GET_BROKER_CLUSTER_INFO first. Returns what the target's name server lists.
   */
  async setTrafficTarget(target: TrafficTargetChoice): Promise<string> {
    const drill = this.drillStatus?.();
    if (drill) throw new Error(`drill ${drill.drillId} (run ${drill.runId}) is running on the embedded cluster: its producer and consumers stay there until it ends`);
    if (this.traffic.running || this.consumers.running) throw new Error('stop the traffic and the consumers first: they run against the current target');
    let listed = 'the embedded cluster';
    if (target.kind === 'external') {
      const credentials = credentialsOf(target);
      const cluster = new ExternalCluster(target.namesrvAddr, credentials);
      try {
        const view = await cluster.describe();
        if (view.brokers.length === 0) throw new Error(`no broker at ${target.namesrvAddr.join(';')} answered GET_BROKER_CONFIG: ${view.unreachable.map((u) => `${u.brokerName}/${u.brokerId} at ${u.addr}: ${u.error}`).join('; ')}`);
        listed = `${view.brokers.length} broker(s) of ${new Set(view.brokers.map((b) => b.brokerName)).size} group(s) at ${target.namesrvAddr.join(';')}`;
      } finally {
        cluster.close();
      }
      this.target = { kind: 'external', namesrvAddrs: target.namesrvAddr, ...(credentials ? { credentials } : {}) };
    } else this.target = EMBEDDED_TARGET;
    // Listeners hear where, never the account's secret.
    this.emit('trafficTarget', this.target.kind === 'external' ? { kind: 'external', namesrvAddrs: this.target.namesrvAddrs } : EMBEDDED_TARGET);
    await this.recordEvent('traffic.target', 'traffic', `the Traffic and Messages pages now use ${listed}`, 'traffic');
    return listed;
  }

  async startTraffic(input: TrafficInput): Promise<void> {
    const external = this.target.kind === 'external';
    if (!external && !this.brokerAddress()) throw new Error('the broker has not started yet: start it first');
    if (external && input.viaClientProxy) throw new Error('viaClientProxy: the client-port fault proxy stands before the embedded master only');
    if (this.traffic.running) await this.stopTraffic();
    this.producerCount++;
    this.trafficConfig = {
      namesrvAddr: this.clientNamesrv(),
      topic: input.topic,
      producerGroup: TRAFFIC_PRODUCER_GROUP,
      producerId: `p${this.producerCount}-${Date.now().toString(36)}`,
      rate: input.rate,
      bodySize: input.bodySize,
      sendMode: input.sendMode,
      count: input.count,
      ...(input.keyPattern ? { keyPattern: input.keyPattern } : {}),
      ...producerSettingsOf(this.settings.get()),
      ...(input.viaClientProxy ? { brokerAddressMap: this.clientPort.addressMap() } : {}),
      ...(input.bodySeed !== undefined ? { bodySeed: input.bodySeed } : {}),
      ...(labBugsOf('producer', this.activeLabBugs).length > 0 ? { labBugs: labBugsOf('producer', this.activeLabBugs) } : {}),
    };
    this.producerView = { answeredBy: {}, avoided: [] };
    this.traffic.start({ ZL_TRAFFIC: JSON.stringify(this.trafficConfig), ...sessionCredentialsEnvironment(this.clientCredentials()) });
    const where = external ? ` to the external cluster at ${this.clientNamesrv()}` : '';
    await this.recordEvent('traffic.started', 'traffic', `traffic ${input.rate} msg/s, ${input.bodySize} B, ${input.sendMode} send${input.keyPattern ? `, KEYS ${input.keyPattern}` : ''}${where}`, 'traffic');
  }

  async stopTraffic(): Promise<void> {
    await this.traffic.stop({ type: 'stop' }, 8000);
  }

  /** A real producer crash: SIGKILL of the traffic runner; sends in flight are never answered. */
  killTraffic(): boolean {
    if (!this.traffic.running) return false;
    void this.recordEvent('fault.kill', 'traffic', 'SIGKILL sent to the traffic runner', 'fault');
    void this.traffic.kill();
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
    for (const group of this.brokerGroups) {
      for (const node of group.replicas) {
        // In controller mode a replica carries the master's bugs and the slave's (any may be elected).
        const affected = this.controllerMode ? changed('master') || changed('slave') : changed(group.processOf(node));
        if (!node.running || !affected) continue;
        // A promoted replica acts as the master now and is not restarted by the lab: it keeps running as it is.
        if (group instanceof BrokerGroup && group.promotion && node === group.master) continue;
        await node.stop();
        await group.start(node);
        restarted.push(node.processName);
        if (node === group.master) await this.waitForSlaveToReconnect(group);
      }
    }
    const words = bugs.length === 0 ? 'no deliberate bug' : `deliberate bug(s) ${bugs.map((b) => `${b} (${LAB_BUGS[b].process})`).join(', ')}`;
    await this.recordEvent('lab.bugs', 'broker', `lab: ${words}${restarted.length > 0 ? `; restarted ${restarted.join(', ')}` : ''}`, 'setting', { bugs, restarted });
    return restarted;
  }

  /**
   * After the master restarted: a slave retries its HA connection every few seconds. Under
   * SYNC_MASTER wait (bounded) until it is back, so the sends that follow are not answered
   * SLAVE_NOT_AVAILABLE for want of it.
   */
  private async waitForSlaveToReconnect(group: ReplicaGroup): Promise<void> {
    if (this.settings.get().brokerRole !== 'SYNC_MASTER') return;
    const master = group.master;
    if (!master) return;
    const slaves = group.replicas.filter((n) => n !== master);
    const deadline = Date.now() + LAB_BUG_SLAVE_RECONNECT_WAIT_MS;
    while (slaves.some((n) => n.running) && (master.haStats?.slaveConnections ?? 0) === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  // ---- topics ----

  /**
   * UPDATE_AND_CREATE_TOPIC (17) to every group's master, as `mqadmin updateTopic -c <cluster>` sends
   * it: the topic gets queueNums queues on each group. Refused before any is sent when a master is down.
   */
  async createTopic(input: { topic: string; queueNums: number; perm: number }): Promise<void> {
    const down = this.brokerGroups.filter((g) => !g.master?.running || !g.master.address);
    if (down.length > 0) throw new Error(`the master of ${down.map((g) => g.brokerName).join(', ')} is not running: start it first${this.controllerMode ? ' (in controller mode, wait until the controller has elected one)' : ''}`);
    for (const group of this.brokerGroups) {
      const master = group.master!;
      try {
        await this.admin.createAndUpdateTopicConfig(master.address!, { topic: input.topic, readQueueNums: input.queueNums, writeQueueNums: input.queueNums, perm: input.perm });
      } catch (error) {
        if (isZerolossError(error, 'BROKER_ERROR')) throw new Error(`${master.name} refused the topic: ${error.message}`);
        throw error;
      }
    }
    const where = this.brokerGroups.length > 1 ? ` on each of ${this.brokerGroups.map((g) => g.brokerName).join(', ')}` : '';
    await this.recordEvent('topic.created', 'topics', `topic ${input.topic} created or updated with ${input.queueNums} queues${where}`, undefined, input);
  }

  /** Topics the name server routes (system topics included). */
  listTopics() {
    return this.namesrv.routes.topics();
  }

  // ---- consumers ----

  async startConsumers(input: FleetInput): Promise<void> {
    await this.consumers.start({ ...input, labBugs: labBugsOf('consumer', this.activeLabBugs) }, this.clientCredentials());
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
      eventSeq: this.eventSeq,
      broker: this.brokerView(),
      traffic: { ...this.traffic.status, config: this.trafficConfig, producer: this.producerView },
      settings: { flushDiskType: settings.flushDiskType, brokerRole: settings.brokerRole },
      nodes: this.nodeSettings(),
      totals: {
        ...this.aggregator.totals,
        byStatus: { ...this.aggregator.totals.byStatus },
        sequence: { ...this.aggregator.sequence.counts, missingNow: this.aggregator.sequence.missingCount() },
      },
      consumers: { running: this.consumers.running, input: this.consumers.input, members: this.consumers.views() },
      namesrv: this.namesrv.port ? { address: this.namesrv.address } : undefined,
      target: {
        kind: this.target.kind, namesrv: this.target.kind === 'external' ? this.clientNamesrv() : this.namesrv.port ? this.namesrv.address : '',
        ...(this.target.kind === 'external' && this.target.credentials ? { accessKey: this.target.credentials.accessKey } : {}),
      },
      clients: this.clientViews(),
      replication: this.firstGroup instanceof BrokerGroup ? this.firstGroup.view() : undefined,
      topology: {
        replicas: this.currentTopology.replicas,
        controllerMode: this.controllerMode,
        groups: this.brokerGroups.map((g) => g.groupView()),
        ...(this.controllerMode ? { controller: this.controller.view() } : {}),
      },
      markers: this.markers.slice(-50),
      drill: this.drillStatus?.() ?? undefined,
    };
  }

  /** broker-a/0 as the Overview's broker card shows it. */
  private brokerView(): BrokerView {
    const node = this.firstReplica;
    return { ...node.status, port: node.port, address: node.address, storePath: node.storePath, lastRecovery: node.lastRecovery, lastPowerCut: node.lastPowerCut };
  }

  /**
   * Producer and consumer groups broker-a/0 knows from heartbeats, marked built-in (this lab's traffic
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
    return this.firstReplica.output();
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
      this.eventSeq++;
    } catch (error) {
      console.error(`[control-plane] could not record event ${kind}: ${(error as Error).message}`);
    }
  }

  private onStage(batch: StageBatch): void {
    this.emit('stage', batch);
    this.aggregator.addStored(batch.stored.length);
    if (batch.dlq && batch.dlq.length > 0) {
      this.aggregator.totals.dlq += batch.dlq.length;
      void this.recordEvent('message.dlq', 'broker', `${batch.dlq.length} message(s) moved to a dead-letter queue after maxReconsumeTimes: ${batch.dlq.slice(0, 3).join(', ')}${batch.dlq.length > 3 ? ', …' : ''}`);
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
        for (const o of message.outcomes) {
          if (o.brokerName) this.producerView.answeredBy[o.brokerName] = (this.producerView.answeredBy[o.brokerName] ?? 0) + 1;
        }
        if (message.faults) this.producerView.avoided = message.faults.avoided;
        break;
      case 'done':
      case 'fatal':
        break;
    }
  }
}

/** The account the plane's own admin requests sign with: the ACL's first admin account. */
function adminCredentials(acl: PlainAclConfig): SessionCredentials {
  const admin = adminAccount(acl);
  if (!admin) throw new Error('the ACL needs an account with admin: true: the control plane signs its own admin requests (creating topics, reading settings) with it');
  return admin;
}
