/**
 * The broker's view of its clients, from HEART_BEAT (34) and UNREGISTER_CLIENT (35):
 * ProducerManager + ConsumerManager of B/client/ in one place. A client that stops heartbeating
 * for CLIENT_CHANNEL_EXPIRED_MS, or whose connection closes, is dropped.
 */
import { systemClock, type Clock } from './io/clock.js';
import type { ConnectionContext } from './remoting/remoting-server.js';
import type { ClientsSnapshot } from './ipc.js';

/** B/client/ClientHousekeepingService: channels idle this long are expired. */
export const CLIENT_CHANNEL_EXPIRED_MS = 120_000;

export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType?: string;
}

export interface ConsumerData {
  groupName: string;
  consumeType: string;
  messageModel: 'CLUSTERING' | 'BROADCASTING';
  consumeFromWhere: string;
  subscriptionDataSet: SubscriptionData[];
  unitMode?: boolean;
}

export interface HeartbeatData {
  clientID: string;
  producerDataSet: { groupName: string }[];
  consumerDataSet: ConsumerData[];
}

export interface ClientChannel {
  clientId: string;
  connection: ConnectionContext;
  lastUpdateMs: number;
}

interface ConsumerGroupInfo {
  data: ConsumerData;
  channels: Map<string, ClientChannel>;
}

export interface ClientRegistryEvents {
  /** the set of client ids of a consumer group changed: tell its members to rebalance */
  consumerIdsChanged?(group: string, channels: ClientChannel[]): void;
}

export class ClientRegistry {
  private readonly producers = new Map<string, Map<string, ClientChannel>>();
  private readonly consumers = new Map<string, ConsumerGroupInfo>();

  constructor(private readonly events: ClientRegistryEvents = {}, private readonly clock: Clock = systemClock) {}

  heartbeat(data: HeartbeatData, connection: ConnectionContext): void {
    const now = this.clock.nowMs();
    for (const producer of data.producerDataSet ?? []) {
      let group = this.producers.get(producer.groupName);
      if (!group) this.producers.set(producer.groupName, (group = new Map()));
      group.set(data.clientID, { clientId: data.clientID, connection, lastUpdateMs: now });
    }
    for (const consumer of data.consumerDataSet ?? []) {
      let info = this.consumers.get(consumer.groupName);
      if (!info) this.consumers.set(consumer.groupName, (info = { data: consumer, channels: new Map() }));
      info.data = consumer;
      const isNew = !info.channels.has(data.clientID);
      info.channels.set(data.clientID, { clientId: data.clientID, connection, lastUpdateMs: now });
      if (isNew) this.events.consumerIdsChanged?.(consumer.groupName, [...info.channels.values()]);
    }
  }

  unregister(clientId: string, groups: { producerGroup?: string; consumerGroup?: string }): void {
    if (groups.producerGroup) this.producers.get(groups.producerGroup)?.delete(clientId);
    if (groups.consumerGroup) this.removeConsumer(groups.consumerGroup, clientId);
  }

  /** A connection closed: every registration made over it goes. */
  connectionClosed(connection: ConnectionContext): void {
    for (const group of this.producers.values()) {
      for (const [id, channel] of group) if (channel.connection.id === connection.id) group.delete(id);
    }
    for (const [name, info] of this.consumers) {
      for (const [id, channel] of info.channels) if (channel.connection.id === connection.id) this.removeConsumer(name, id);
    }
  }

  /** Drops channels that have not heartbeated within CLIENT_CHANNEL_EXPIRED_MS. */
  scanNotActive(): void {
    const deadline = this.clock.nowMs() - CLIENT_CHANNEL_EXPIRED_MS;
    for (const group of this.producers.values()) {
      for (const [id, channel] of group) if (channel.lastUpdateMs < deadline) group.delete(id);
    }
    for (const [name, info] of this.consumers) {
      for (const [id, channel] of info.channels) if (channel.lastUpdateMs < deadline) this.removeConsumer(name, id);
    }
  }

  producerChannels(group: string): ClientChannel[] {
    return [...(this.producers.get(group)?.values() ?? [])];
  }

  /** Client ids of a consumer group, sorted as AllocateMessageQueueAveragely expects. */
  consumerIds(group: string): string[] {
    return [...(this.consumers.get(group)?.channels.keys() ?? [])].sort();
  }

  consumerGroup(group: string): ConsumerData | undefined {
    return this.consumers.get(group)?.data;
  }

  /** Everything known, for the dashboard: groups and their client ids. */
  snapshot(): ClientsSnapshot {
    const producers: Record<string, string[]> = {};
    for (const [name, group] of this.producers) if (group.size > 0) producers[name] = [...group.keys()].sort();
    const consumers: Record<string, { clientIds: string[]; topics: string[]; messageModel: string }> = {};
    for (const [name, info] of this.consumers) {
      if (info.channels.size === 0) continue;
      consumers[name] = { clientIds: [...info.channels.keys()].sort(), topics: info.data.subscriptionDataSet.map((s) => s.topic), messageModel: info.data.messageModel };
    }
    return { producers, consumers };
  }

  private removeConsumer(group: string, clientId: string): void {
    const info = this.consumers.get(group);
    if (!info || !info.channels.delete(clientId)) return;
    this.events.consumerIdsChanged?.(group, [...info.channels.values()]);
  }
}
