/**
 * The cluster ali-ons's own suite runs against, laid out as ali-ons's CI lays out Apache RocketMQ
 * 5.3.2: a name server on 127.0.0.1:9876 (in this process), two single-replica broker groups as real
 * broker processes (broker-a on 10911, broker-b on 10912, brokerId 0, cluster DefaultCluster,
 * RocketMQ's default settings, each with its own temporary store), and TP_alions_test_topic created
 * on both with UPDATE_AND_CREATE_TOPIC, 8 read and 8 write queues, perm 6, as `mqadmin updatetopic`
 * does. Also who holds those ports when they are taken.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { NamesrvController } from '../../broker/namesrv/namesrv-controller';
import { MQAdminClient, type TopicConfig } from '../../server/cluster/admin-client';
import { startBroker, waitFor, type BrokerProcess } from '../support/broker-process';

export const NAMESRV_PORT = 9876;
/** the broker identity's default cluster name, which RocketMQ's brokers also default to */
export const CLUSTER_NAME = 'DefaultCluster';
export const SUITE_BROKERS = [
  { brokerName: 'broker-a', port: 10911 },
  { brokerName: 'broker-b', port: 10912 },
] as const;
export const SUITE_PORTS = [NAMESRV_PORT, ...SUITE_BROKERS.map((b) => b.port)];
/** example/config.js's topic, as the CI's `mqadmin updatetopic` creates it (its defaults: 8/8 queues, perm 6) */
export const SUITE_TOPIC: TopicConfig = { topic: 'TP_alions_test_topic', readQueueNums: 8, writeQueueNums: 8, perm: 6 };

const REGISTRATION_WAIT_MS = 30_000;
/** a broker re-registers at once after a topic is created, and every 30 s anyway */
const TOPIC_ROUTE_WAIT_MS = 40_000;
const BROKER_STOP_GRACE_MS = 10_000;

/** Who holds a port on 127.0.0.1, or undefined when it is free (checked by listening on it). */
export async function portHolder(port: number): Promise<string | undefined> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (free) return undefined;
  const ss = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  return listenersOf(ss.stdout ?? '');
}

/** The processes in `ss -ltnpH` output (`users:(("node",pid=123,fd=21))`), or "unknown" when it names none. */
export function listenersOf(ssOutput: string): string {
  const holders = [...ssOutput.matchAll(/\("([^"]+)",pid=(\d+)/g)].map(([, name, pid]) => `${name} (pid ${pid})`);
  return holders.length > 0 ? [...new Set(holders)].join(', ') : 'unknown';
}

export class SuiteCluster {
  private namesrv: NamesrvController | undefined;
  private readonly brokers = new Map<string, BrokerProcess>();
  private readonly storeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'zeroloss-ali-ons-store-'));
  private stopping = false;

  /** `say` tells the user; the cluster's own events also go to cluster.log in logDir */
  constructor(private readonly logDir: string, private readonly say: (line: string) => void) {}

  async start(): Promise<void> {
    this.namesrv = new NamesrvController({
      brokerRegistered: (addr, name, id, isNew) => { if (isNew) this.log(`name server: ${name} (brokerId ${id}) at ${addr} registered`); },
      brokerGone: (addr, why) => this.log(`name server: broker at ${addr} left the routes: ${why}`),
      connectionShed: (message) => this.log(`name server: ${message}`),
    });
    await this.namesrv.start(NAMESRV_PORT);
    this.log(`name server listening on ${this.namesrv.address}`);
    for (const { brokerName, port } of SUITE_BROKERS) await this.startBroker(brokerName, port);
    await this.waitForRegistrations();
    const admin = new MQAdminClient();
    try {
      for (const broker of this.brokers.values()) await admin.createAndUpdateTopicConfig(broker.addr, SUITE_TOPIC);
    } finally {
      admin.close();
    }
    await this.waitForTopicRoute();
    this.log(`${SUITE_TOPIC.topic} routed to ${SUITE_BROKERS.map((b) => b.brokerName).join(' and ')}, ${SUITE_TOPIC.writeQueueNums} queues each`);
  }

  /** From now on a broker's exit is expected (a Ctrl-C from a terminal reaches the brokers too). */
  expectStop(): void {
    this.stopping = true;
  }

  /** SIGTERM each broker (SIGKILL after a grace), close the name server, keep the brokers' output, remove the stores. */
  async stop(): Promise<void> {
    this.expectStop();
    await Promise.all([...this.brokers.values()].map((broker) => stopBroker(broker)));
    await this.namesrv?.shutdown();
    this.saveBrokerOutput();
    fs.rmSync(this.storeRoot, { recursive: true, force: true });
  }

  /** A second Ctrl-C: SIGKILL the brokers and remove the stores, synchronously. */
  forceStop(): void {
    this.expectStop();
    for (const broker of this.brokers.values()) broker.child.kill('SIGKILL');
    this.saveBrokerOutput();
    fs.rmSync(this.storeRoot, { recursive: true, force: true });
  }

  private async startBroker(brokerName: string, port: number): Promise<void> {
    const storeDir = path.join(this.storeRoot, brokerName);
    fs.mkdirSync(storeDir);
    const broker = await startBroker({ port, storeDir, identity: { brokerName, brokerId: 0, namesrvAddr: this.namesrv!.address } });
    this.brokers.set(brokerName, broker);
    this.log(`${brokerName} (pid ${broker.child.pid}) listening on ${broker.addr}, store ${storeDir}`);
    void broker.exited.then(({ code, signal }) => {
      if (!this.stopping) this.log(`${brokerName} exited unexpectedly (${signal ?? `exit code ${code}`}); its output is in ${brokerName}.log`);
    });
  }

  private async waitForRegistrations(): Promise<void> {
    const wanted = SUITE_BROKERS.map((b) => b.brokerName);
    const registered = () => this.namesrv!.routes.clusterInfo().clusterAddrTable[CLUSTER_NAME] ?? [];
    await waitFor(`${wanted.join(' and ')} to register with the name server in ${CLUSTER_NAME}`, () => wanted.every((name) => registered().includes(name)), REGISTRATION_WAIT_MS)
      .catch((error: Error) => {
        throw new Error(`${error.message}; the name server shows ${JSON.stringify(this.namesrv!.routes.clusterInfo().clusterAddrTable)}`);
      });
  }

  private async waitForTopicRoute(): Promise<void> {
    const route = () => this.namesrv!.routes.pickupTopicRouteData(SUITE_TOPIC.topic);
    const complete = () => SUITE_BROKERS.every(({ brokerName }) => route()?.queueDatas.some((q) => q.brokerName === brokerName && q.writeQueueNums === SUITE_TOPIC.writeQueueNums));
    await waitFor(`${SUITE_TOPIC.topic}'s route to list both brokers`, complete, TOPIC_ROUTE_WAIT_MS)
      .catch((error: Error) => {
        throw new Error(`${error.message}; the name server's route: ${JSON.stringify(route())}`);
      });
  }

  private saveBrokerOutput(): void {
    for (const [name, broker] of this.brokers) fs.writeFileSync(path.join(this.logDir, `${name}.log`), `${broker.output.join('\n')}\n`);
  }

  private log(line: string): void {
    fs.appendFileSync(path.join(this.logDir, 'cluster.log'), `${new Date().toISOString()} ${line}\n`);
    this.say(line);
  }
}

async function stopBroker(broker: BrokerProcess): Promise<void> {
  const stopped = broker.stop().then(() => true);
  const graceOver = new Promise<false>((resolve) => setTimeout(() => resolve(false), BROKER_STOP_GRACE_MS).unref());
  if (!(await Promise.race([stopped, graceOver]))) await broker.kill();
}
