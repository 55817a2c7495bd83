/**
 * What every client process shares (C/impl/factory/MQClientInstance.java in outline): one remoting
 * client, the topic routes from the name servers, and heartbeats to every broker of those routes.
 * Producers and consumers in one process use one instance, as RocketMQ's clients do.
 */
import { parseRocketMQJson } from '../protocol/rocketmq-json.js';
import { RequestCode, ResponseCode, responseCodeName } from '../protocol/codes.js';
import { createRequest, type RemotingCommand } from '../protocol/remoting-command.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import { ZerolossError } from '../errors/errors.js';
import { systemClock, type Clock, type Timer } from '../io/clock.js';
import type { Transport } from '../io/transport.js';
import type { ConsumerData, HeartbeatData } from '../client-registry.js';
import type { TopicRouteData } from '../namesrv/route-info-manager.js';
import type { SessionCredentials } from '../acl/acl-signature.js';

export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

export function queueKey(mq: MessageQueue): string {
  return `${mq.topic}@${mq.brokerName}@${mq.queueId}`;
}

export function compareQueues(a: MessageQueue, b: MessageQueue): number {
  return a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId;
}

export interface MQClientOptions {
  namesrvAddr: string;
  /** `ip@pid` by default, as RocketMQ builds it */
  clientId?: string;
  /** route refresh period (RocketMQ: pollNameServerInterval 30 s) */
  pollNameServerIntervalMs?: number;
  /** heartbeat period (RocketMQ: heartbeatBrokerInterval 30 s) */
  heartbeatBrokerIntervalMs?: number;
  /** time for this instance and every producer and consumer sharing it; the real clock by default */
  clock?: Clock;
  /** the network for this instance's connections; the real one by default */
  transport?: Transport;
  /** an ACL account's keys: every request this instance sends is signed with them */
  credentials?: SessionCredentials;
}

export class MQClientInstance {
  readonly clientId: string;
  readonly remoting: RemotingClient;
  readonly clock: Clock;
  private readonly namesrvAddrs: string[];
  private namesrvIndex = 0;
  private readonly routes = new Map<string, TopicRouteData>();
  private readonly producerGroups = new Set<string>();
  private readonly consumers = new Map<string, () => ConsumerData>();
  private readonly requestHandlers = new Map<number, (address: string, command: RemotingCommand) => void>();
  private timers: Timer[] = [];
  private started = false;
  /** broker addresses this client has sent a heartbeat to */
  private readonly heartbeated = new Set<string>();

  constructor(private readonly options: MQClientOptions) {
    this.clientId = options.clientId ?? `127.0.0.1@${process.pid}`;
    this.namesrvAddrs = options.namesrvAddr.split(';').filter(Boolean);
    if (this.namesrvAddrs.length === 0) throw new Error('namesrvAddr must name at least one host:port');
    this.clock = options.clock ?? systemClock;
    this.remoting = new RemotingClient((address, command) => this.requestHandlers.get(command.code)?.(address, command), this.clock, options.transport, options.credentials);
  }

  /** Handles a server-initiated request (NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE). */
  onRequest(code: number, handler: (address: string, command: RemotingCommand) => void): void {
    this.requestHandlers.set(code, handler);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.timers.push(this.clock.setInterval(() => void this.updateAllRoutes(), this.options.pollNameServerIntervalMs ?? 30_000));
    this.timers.push(this.clock.setInterval(() => void this.sendHeartbeatToAllBrokers(), this.options.heartbeatBrokerIntervalMs ?? 30_000));
  }

  registerProducer(group: string): void {
    this.producerGroups.add(group);
  }

  registerConsumer(group: string, data: () => ConsumerData): void {
    this.consumers.set(group, data);
  }

  unregisterConsumer(group: string): void {
    this.consumers.delete(group);
  }

  /** The route of a topic, from the name server; cached until the next refresh. Throws TOPIC_NOT_EXIST. */
  async route(topic: string, refresh = false): Promise<TopicRouteData> {
    const cached = this.routes.get(topic);
    if (cached && !refresh) return cached;
    const response = await this.invokeNamesrv(createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }));
    if (response.code !== ResponseCode.SUCCESS) {
      throw new ZerolossError('BROKER_ERROR', `no route for topic ${topic}: ${responseCodeName(response.code)}${response.remark ? ` (${response.remark})` : ''}`, { responseCode: response.code });
    }
    const route = parseRocketMQJson<TopicRouteData>(response.body?.toString('utf8') ?? '{}');
    this.routes.set(topic, route);
    // A broker seen for the first time hears from this client at once, not at the next heartbeat round
    // (RocketMQ's start() does the same), so its client registry knows the producer and consumer groups.
    const unknown = route.brokerDatas.some((b) => Object.values(b.brokerAddrs).some((addr) => !this.heartbeated.has(addr)));
    if (unknown && (this.producerGroups.size > 0 || this.consumers.size > 0)) void this.sendHeartbeatToAllBrokers();
    return route;
  }

  cachedRoutes(): Map<string, TopicRouteData> {
    return this.routes;
  }

  /** Address of brokerId `id` of a group, falling back to any member (consumers read from a slave when the master is gone). */
  brokerAddress(brokerName: string, id = 0, onlyThisId = false): string | undefined {
    for (const route of this.routes.values()) {
      const data = route.brokerDatas.find((b) => b.brokerName === brokerName);
      if (!data) continue;
      if (data.brokerAddrs[String(id)]) return data.brokerAddrs[String(id)];
      if (onlyThisId) return undefined;
      const any = Object.keys(data.brokerAddrs).sort((a, b) => Number(a) - Number(b))[0];
      if (any !== undefined) return data.brokerAddrs[any];
    }
    return undefined;
  }

  allBrokerAddresses(): string[] {
    const out = new Set<string>();
    for (const route of this.routes.values()) for (const b of route.brokerDatas) for (const addr of Object.values(b.brokerAddrs)) out.add(addr);
    return [...out];
  }

  async updateAllRoutes(): Promise<void> {
    await Promise.all([...this.routes.keys()].map((topic) => this.route(topic, true).catch(() => undefined)));
  }

  async sendHeartbeatToAllBrokers(): Promise<void> {
    const data: HeartbeatData = {
      clientID: this.clientId,
      producerDataSet: [...this.producerGroups].map((groupName) => ({ groupName })),
      consumerDataSet: [...this.consumers.values()].map((get) => get()),
    };
    if (data.producerDataSet.length === 0 && data.consumerDataSet.length === 0) return;
    const body = Buffer.from(JSON.stringify(data));
    await Promise.all(this.allBrokerAddresses().map(async (addr) => {
      this.heartbeated.add(addr);
      await this.remoting.invoke(addr, createRequest(RequestCode.HEART_BEAT, {}, body), 3000).catch(() => undefined);
    }));
  }

  async shutdown(unregister: { producerGroup?: string; consumerGroup?: string }[] = []): Promise<void> {
    for (const timer of this.timers) timer.cancel();
    this.timers = [];
    await Promise.all(this.allBrokerAddresses().flatMap((addr) => unregister.map((groups) =>
      this.remoting.invoke(addr, createRequest(RequestCode.UNREGISTER_CLIENT, { clientID: this.clientId, ...groups }), 1000).catch(() => undefined))));
    this.remoting.close();
  }

  private async invokeNamesrv(request: RemotingCommand): Promise<RemotingCommand> {
    let lastError: unknown;
    for (let i = 0; i < this.namesrvAddrs.length; i++) {
      const addr = this.namesrvAddrs[(this.namesrvIndex + i) % this.namesrvAddrs.length];
      try {
        return await this.remoting.invoke(addr, request, 3000);
      } catch (error) {
        lastError = error;
        this.namesrvIndex++;
      }
    }
    throw lastError;
  }
}
