/**
 * The name server's route registry (namesrv/routeinfo/RouteInfoManager.java): which brokers are
 * alive, what topics each serves, and the TopicRouteData a client asks for. A broker that stops
 * registering for BROKER_CHANNEL_EXPIRED_MS, or whose connection closes, leaves every route.
 */
import { systemClock, type Clock } from '../io/clock.js';
import { BROKER_CHANNEL_EXPIRED_MS } from '../protocol/codes.js';

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId → "ip:port"; 0 is the master */
  brokerAddrs: Record<string, string>;
}

export interface TopicRouteData {
  orderTopicConf?: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  filterServerTable: Record<string, string[]>;
}

export interface TopicConfigLike {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag?: number;
}

export interface BrokerRegistration {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  brokerAddr: string;
  haServerAddr: string;
  topics: TopicConfigLike[];
  /** identifies the connection the registration came over; its close unregisters the broker */
  connectionId?: number;
}

interface LiveBroker {
  registration: BrokerRegistration;
  lastUpdateMs: number;
}

export class RouteInfoManager {
  /** brokerAddr → the broker's last registration */
  private readonly brokers = new Map<string, LiveBroker>();

  constructor(private readonly clock: Clock = systemClock) {}

  /** Returns the master's address and HA address of the group, as RegisterBrokerResult does. */
  registerBroker(registration: BrokerRegistration): { masterAddr?: string; haServerAddr?: string } {
    this.brokers.set(registration.brokerAddr, { registration, lastUpdateMs: this.clock.nowMs() });
    const master = this.groupMembers(registration.brokerName).find((b) => b.registration.brokerId === 0);
    return registration.brokerId === 0 ? {} : { masterAddr: master?.registration.brokerAddr, haServerAddr: master?.registration.haServerAddr };
  }

  unregisterBroker(brokerAddr: string): boolean {
    return this.brokers.delete(brokerAddr);
  }

  connectionClosed(connectionId: number): string[] {
    const gone: string[] = [];
    for (const [addr, b] of this.brokers) {
      if (b.registration.connectionId === connectionId) {
        this.brokers.delete(addr);
        gone.push(addr);
      }
    }
    return gone;
  }

  scanNotActiveBroker(): string[] {
    const deadline = this.clock.nowMs() - BROKER_CHANNEL_EXPIRED_MS;
    const gone: string[] = [];
    for (const [addr, b] of this.brokers) {
      if (b.lastUpdateMs < deadline) {
        this.brokers.delete(addr);
        gone.push(addr);
      }
    }
    return gone;
  }

  /**
   * TopicRouteData for a topic, or null when no live broker serves it. Queue data comes from the
   * group's master when it is alive, else from any member (consumers keep reading from a slave).
   */
  pickupTopicRouteData(topic: string): TopicRouteData | null {
    const byGroup = new Map<string, LiveBroker[]>();
    for (const b of this.brokers.values()) {
      if (!b.registration.topics.some((t) => t.topicName === topic)) continue;
      const list = byGroup.get(b.registration.brokerName) ?? [];
      list.push(b);
      byGroup.set(b.registration.brokerName, list);
    }
    if (byGroup.size === 0) return null;
    const queueDatas: QueueData[] = [];
    const brokerDatas: BrokerData[] = [];
    for (const [brokerName, members] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
      members.sort((a, b) => a.registration.brokerId - b.registration.brokerId);
      const source = members[0].registration.topics.find((t) => t.topicName === topic)!;
      queueDatas.push({ brokerName, readQueueNums: source.readQueueNums, writeQueueNums: source.writeQueueNums, perm: source.perm, topicSysFlag: source.topicSysFlag ?? 0 });
      // brokerAddrs lists every live member of the group, not only those that know the topic.
      const addrs: Record<string, string> = {};
      for (const b of this.groupMembers(brokerName)) addrs[String(b.registration.brokerId)] = b.registration.brokerAddr;
      brokerDatas.push({ cluster: members[0].registration.clusterName, brokerName, brokerAddrs: addrs });
    }
    return { queueDatas, brokerDatas, filterServerTable: {} };
  }

  /** Every topic some live broker serves, with its queue counts per broker group. */
  topics(): { topic: string; brokers: { brokerName: string; readQueueNums: number; writeQueueNums: number; perm: number }[] }[] {
    const byTopic = new Map<string, Map<string, { brokerName: string; readQueueNums: number; writeQueueNums: number; perm: number }>>();
    for (const { registration: r } of [...this.brokers.values()].sort((a, b) => a.registration.brokerId - b.registration.brokerId)) {
      for (const t of r.topics) {
        const groups = byTopic.get(t.topicName) ?? new Map();
        if (!groups.has(r.brokerName)) groups.set(r.brokerName, { brokerName: r.brokerName, readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm });
        byTopic.set(t.topicName, groups);
      }
    }
    return [...byTopic].map(([topic, groups]) => ({ topic, brokers: [...groups.values()] })).sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /** GET_BROKER_CLUSTER_INFO: brokerAddrTable and clusterAddrTable. */
  clusterInfo(): { brokerAddrTable: Record<string, BrokerData>; clusterAddrTable: Record<string, string[]> } {
    const brokerAddrTable: Record<string, BrokerData> = {};
    const clusterAddrTable: Record<string, string[]> = {};
    for (const { registration: r } of this.brokers.values()) {
      const data = (brokerAddrTable[r.brokerName] ??= { cluster: r.clusterName, brokerName: r.brokerName, brokerAddrs: {} });
      data.brokerAddrs[String(r.brokerId)] = r.brokerAddr;
      const names = (clusterAddrTable[r.clusterName] ??= []);
      if (!names.includes(r.brokerName)) names.push(r.brokerName);
    }
    return { brokerAddrTable, clusterAddrTable };
  }

  private groupMembers(brokerName: string): LiveBroker[] {
    return [...this.brokers.values()].filter((b) => b.registration.brokerName === brokerName);
  }
}
