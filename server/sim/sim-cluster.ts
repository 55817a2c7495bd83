/**
 * The nodes of a simulated run and their lives: the name server, the broker replicas (each a
 * BrokerController on its own SimDisk and its own process clock), the traffic producer and the
 * consumers, started, killed, frozen and powered off the way the drill steps do it to real processes
 * (server/drills/drill-steps.ts). Everything they report feeds the run's loss ledger and trace.
 */
import { producerSettingsOf } from '../../broker/config/broker-config';
import { BrokerController } from '../../broker/broker-controller.js';
import type { BrokerSettings } from '../../broker/config/broker-config.js';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller.js';
import { Producer } from '../../broker/client/producer.js';
import { PushConsumer } from '../../broker/client/push-consumer.js';
import { MQClientInstance } from '../../broker/client/mq-client-instance.js';
import { DedupeStore } from '../../broker/client/dedupe-store.js';
import { MessageClientIDSetter } from '../../broker/client/message-id.js';
import { StageBatcher, stageListeners } from '../../broker/stage-batcher.js';
import type { LabBug } from '../../broker/lab-bugs.js';
import type { Random } from '../../broker/io/prng.js';
import type { SimProcessClock } from '../../broker/sim/sim-clock.js';
import type { SimDisk } from '../../broker/sim/sim-disk.js';
import type { ConsumeEvent, SendOutcome } from '../../broker/ipc.js';
import type { DrillSpec } from '../drills/catalog.js';
import { seededBytes, type DrillPlan } from '../drills/drill-plan.js';
import type { LossLedger } from '../drills/loss-ledger.js';
import type { DrillRunSettings, LinkShape } from '../drills/types.js';
import { DEFAULT_CONSUMER_GROUP, TRAFFIC_PRODUCER_GROUP, labClientId } from '../traffic/lab-clients.js';
import { startTrafficLoop, type TrafficLoop } from '../traffic/traffic-loop.js';
import { consumeEvent, consumerListener } from '../traffic/consumer-work.js';
import type { SimWorld } from './sim-world.js';

export const TOPIC = 'TopicTest';
const NAMESRV_PORT = 9876;
const HOST = '127.0.0.1';

export interface Replica {
  name: string;
  brokerId: number;
  port: number;
  haPort: number;
  disk: SimDisk;
  clock?: SimProcessClock;
  broker?: BrokerController;
  stage?: StageBatcher;
}

export interface ClientProcess {
  name: string;
  clock: SimProcessClock;
  stop(): void;
  /** SIGSTOP and SIGCONT */
  freeze?(): void;
  thaw?(): void;
}

export class SimCluster {
  readonly replicas: Replica[];
  readonly consumers: (ClientProcess | undefined)[] = [];
  producer: (ClientProcess & { traffic: TrafficLoop }) | undefined;
  private readonly consumerDisks: SimDisk[] = [];
  private namesrv: NamesrvController | undefined;
  private producers = 0;
  /** decides whether a power cut tears the oldest unsynced write, and how much of it */
  private readonly tear: Random;

  constructor(
    private readonly world: SimWorld,
    private readonly ledger: LossLedger,
    private readonly spec: DrillSpec,
    private readonly plan: DrillPlan,
    private readonly settings: DrillRunSettings,
    private readonly labBugs: readonly LabBug[],
  ) {
    this.replicas = Array.from({ length: settings.slaveRunning ? 2 : 1 }, (_, id) => ({
      name: `broker-a-${id}`, brokerId: id, port: 10911 + 10 * id, haPort: 10912 + 10 * id, disk: world.newDisk(),
    }));
    for (let i = 0; i < settings.traffic.consumers; i++) this.consumerDisks.push(world.newDisk());
    this.tear = world.fork();
  }

  async startCluster(): Promise<void> {
    const namesrvClock = this.world.clock.process();
    this.namesrv = new NamesrvController({}, namesrvClock, {}, this.world.network.endpoint('namesrv', HOST));
    await this.world.settle(this.namesrv.start(NAMESRV_PORT));
    const [master, slave] = this.replicas;
    if (slave && this.plan.haLink) this.shape(master!.name, slave.name, this.plan.haLink);
    for (const replica of this.replicas) await this.startReplica(replica);
    await this.routedTo(master!);
  }

  /** Until the name server routes the topic to `replica` as its master, as the drill runner waits for it. */
  async routedTo(replica: Replica): Promise<void> {
    const address = `${HOST}:${replica.port}`;
    const routed = () => this.namesrv!.routes.pickupTopicRouteData(TOPIC)?.brokerDatas.some((b) => b.brokerAddrs['0'] === address) ?? false;
    if (!(await this.world.untilHolds(routed, 10_000))) throw new Error(`the name server did not route ${TOPIC} to ${replica.name} within 10 s of simulated time`);
  }

  async startReplica(replica: Replica): Promise<void> {
    const { broker: settings } = this.settings;
    // A restart is a new process: Node and the broker's modules load before it listens.
    if (replica.clock) await this.world.until(this.world.clock.monotonicMs() + this.world.processStartMs());
    const clock = this.world.clock.process();
    replica.disk.reboot(clock);
    const stage = new StageBatcher((batch) => this.ledger.addStage(batch), 50, clock);
    const role: BrokerSettings['brokerRole'] = replica.brokerId === 0 ? settings.brokerRole : 'SLAVE';
    const broker = new BrokerController({
      identity: {
        brokerClusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: replica.brokerId, listenPort: replica.port, brokerIP1: HOST,
        namesrvAddr: `${HOST}:${NAMESRV_PORT}`, storePathRootDir: `/${replica.name}/store`, haListenPort: replica.haPort,
        ...(replica.brokerId > 0 ? { haMasterAddress: `${HOST}:${this.replicas[0]!.haPort}` } : {}),
      },
      settings: { ...settings, brokerRole: role, slowDiskDelayMs: 0 },
      ha: { reconnectIntervalMs: 1000 },
      labBugs: [...this.labBugs],
    }, stageListeners(stage), { clock, random: this.world.fork(), disk: replica.disk, transport: this.world.network.endpoint(replica.name, HOST) });
    Object.assign(replica, { clock, broker, stage });
    await this.world.settle(broker.start());
    this.world.log(`${replica.name} started as ${role}`);
  }

  /**
   * The replication oracle, checked at the end of every run: a slave that does not report DIVERGED
   * holds a prefix of its master's log, byte for byte. (Classic replication could splice a slave's log
   * onto a master restarted behind it; docs/simulation.md#what-it-found.) A sentence when it does not.
   */
  replicationViolation(): string | undefined {
    const running = this.replicas.filter((r) => r.broker);
    const master = running.find((r) => r.broker!.settings.brokerRole !== 'SLAVE');
    if (!master) return undefined;
    const theirStore = master.broker!.store;
    for (const slave of running) {
      if (slave === master || slave.broker!.replication.haClient?.state === 'DIVERGED') continue;
      const myStore = slave.broker!.store;
      const end = myStore.maxPhyOffset();
      if (end > theirStore.maxPhyOffset()) return `${slave.name}'s log ends at ${end}, beyond its master ${master.name}'s end ${theirStore.maxPhyOffset()}, and it does not report DIVERGED`;
      for (let at = theirStore.minPhyOffset(); at < end;) {
        const mine = myStore.readCommitLog(at, end - at);
        const theirs = theirStore.readCommitLog(at, mine.length);
        if (mine.length === 0 || !mine.equals(theirs)) {
          let i = 0;
          while (i < Math.min(mine.length, theirs.length) && mine[i] === theirs[i]) i++;
          return `${slave.name}'s log differs from its master ${master.name}'s at ${at + i} (it ends at ${end}) and it does not report DIVERGED`;
        }
        at += mine.length;
      }
    }
    return undefined;
  }

  /** SIGKILL: the process and its timers are gone, its peers see its connections close; the page cache stays. */
  killReplica(replica: Replica): void {
    replica.stage?.flush();
    replica.broker?.store.haltSync();
    replica.clock?.kill();
    this.world.network.processDied(replica.name);
    replica.disk.processDied();
    replica.broker = undefined;
    this.world.log(`${replica.name} killed`);
  }

  /**
   * The power cut at its worst moment: the page cache is lost. As in the lab (where the cut is the
   * broker's own SIGKILL on a machine that keeps running), the peers see its connections close.
   */
  async powerLoss(replica: Replica): Promise<void> {
    const broker = replica.broker!;
    let struck = false;
    broker.store.atWorstMomentForPowerCut(replica.clock!, 1000, () => {
      replica.stage?.flush();
      this.ledger.addPowerCut({ cut: [{ lostBytes: replica.disk.unsyncedBytes() }], flushedOffset: broker.store.flushedPhyOffset(), maxOffset: broker.store.maxPhyOffset() }, this.world.clock.nowMs());
      broker.store.haltSync();
      replica.clock!.kill();
      this.world.network.processDied(replica.name);
      // Half the cuts tear the oldest unsynced write at a sector boundary: recovery's CRC check must cut it off.
      const lost = replica.disk.powerCut(this.tear.next() < 0.5 ? this.tear : undefined);
      replica.broker = undefined;
      this.world.log(`${replica.name} lost its power: ${lost} unsynced bytes gone`);
      struck = true;
    });
    await this.world.untilHolds(() => struck, Infinity);
  }

  /**
   * The slow-disk fault: every fdatasync of the node's disk takes `ms` longer, inside the call, as a
   * real slow disk's does. (The lab's broker setting slowDiskDelayMs waits before the call instead,
   * and its file layer counts only what was written before the wait; on the simulated disk a wait
   * before the call would let the sync cover the writes made during it.)
   */
  slowDisk(replica: Replica, ms: number): void {
    replica.disk.slowByMs = ms;
    this.world.log(`${replica.name}: every fdatasync ${ms > 0 ? `${ms} ms slower` : 'at its normal speed again'}`);
  }

  producerName(): string {
    return `producer-${this.producers}`;
  }

  async startProducer(): Promise<void> {
    const settings = this.settings;
    this.producers++;
    const name = this.producerName();
    const clock = this.world.clock.process();
    const transport = this.world.network.endpoint(name, HOST);
    if (this.plan.clientLink) for (const replica of this.replicas) this.shape(name, replica.name, this.plan.clientLink);
    const producer = new Producer({
      producerGroup: TRAFFIC_PRODUCER_GROUP, producerId: name, namesrvAddr: `${HOST}:${NAMESRV_PORT}`,
      ...producerSettingsOf(settings.broker),
      labBugs: [...this.labBugs], clock, transport, messageClientIDSetter: new MessageClientIDSetter(this.world.fork(), this.producers),
    });
    this.ledger.addProducer(name);
    const traffic = startTrafficLoop({
      producer, clock, body: seededBytes(this.plan.trafficSeed, settings.traffic.bodySize),
      config: { topic: TOPIC, producerId: name, rate: settings.traffic.rate, count: 0, sendMode: settings.traffic.sendMode },
      record: (outcome) => this.outcome(outcome),
    });
    this.producer = {
      name, clock, traffic,
      stop: () => {
        clock.kill();
        this.world.network.processDied(name);
        this.world.log(`${name} killed after ${traffic.attempted()} sends`);
      },
    };
    this.world.log(`${name} sends ${settings.traffic.rate} msg/s, ${settings.traffic.sendMode}`);
  }

  async startConsumers(): Promise<void> {
    for (let i = 0; i < this.settings.traffic.consumers; i++) this.consumers[i] = await this.startConsumer(i);
  }

  async startConsumer(index: number): Promise<ClientProcess> {
    const { traffic } = this.settings;
    const name = `consumer-${index + 1}`;
    const clock = this.world.clock.process();
    const disk = this.consumerDisks[index]!;
    disk.reboot(clock);
    disk.mkdirp(`/${name}`);
    const dedupe = traffic.idempotent ? new DedupeStore(`/${name}/dedupe.log`, disk) : undefined;
    const consumer = new PushConsumer({
      clientInstance: new MQClientInstance({
        namesrvAddr: `${HOST}:${NAMESRV_PORT}`, clientId: labClientId(name), heartbeatBrokerIntervalMs: 5000, pollNameServerIntervalMs: 5000,
        clock, transport: this.world.network.endpoint(name, HOST),
      }),
      consumerGroup: DEFAULT_CONSUMER_GROUP, topic: TOPIC, ackMode: traffic.ackMode,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', persistConsumerOffsetIntervalMs: 500, rebalanceIntervalMs: 1000,
      maxReconsumeTimes: this.settings.broker.maxReconsumeTimes,
      labBugs: [...this.labBugs],
      events: { delivered: (m) => this.consumed([consumeEvent('delivered', m, clock.nowMs())]) },
      listener: consumerListener({
        config: { processingMs: this.spec.workload.processingMs, failRate: 0 }, clock, random: this.world.fork(), dedupe,
        report: (event) => this.consumed([event]),
        reportApplied: async (event) => this.consumed([event]),
      }),
    });
    await this.world.settle(consumer.start());
    this.world.log(`${name} started, ${traffic.ackMode}${traffic.idempotent ? ', idempotent' : ''}`);
    return {
      name, clock,
      stop: () => {
        clock.kill();
        this.world.network.processDied(name);
        disk.processDied();
        this.world.log(`${name} killed`);
      },
      freeze: () => {
        clock.freeze();
        this.world.network.freeze(name);
      },
      thaw: () => {
        clock.thaw();
        this.world.network.thaw(name);
      },
    };
  }

  private outcome(o: SendOutcome): void {
    this.ledger.addOutcomes([o]);
    this.world.log(`send ${o.id || '-'} q${o.queueId} #${o.seq} ${o.status}${o.error ? ` (${o.error})` : ''}`);
  }

  private consumed(events: ConsumeEvent[]): void {
    this.ledger.addConsumeEvents(events);
    for (const e of events) this.world.log(`${e.kind} ${e.id} q${e.queueId}@${e.queueOffset}`);
  }

  stageFlush(): void {
    for (const replica of this.replicas) replica.stage?.flush();
  }

  shape(a: string, b: string, link: LinkShape): void {
    this.world.network.shapeLink(a, b, { latencyMs: link.latencyMs, jitterMs: link.jitterMs, bandwidthBytesPerSec: link.bandwidthBytesPerSec });
  }
}
