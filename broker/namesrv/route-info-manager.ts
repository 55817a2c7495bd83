/**
 * The name server's route registry (namesrv/routeinfo/RouteInfoManager.java): which brokers are
 * alive, what topics each serves, and the TopicRouteData a client asks for. A broker that stops
 * registering for BROKER_CHANNEL_EXPIRED_MS, or whose connection closes, leaves every route.
 *
 * Per group one address per brokerId, as RocketMQ's brokerAddrTable: the newest registration takes
 * the slot, unless the broker holding it registered a higher stateVersion (the master epoch in
 * controller mode). A master the controller replaced but that still reaches the name server is thus
 * ignored, and leaves the live table, instead of taking brokerId 0 back from the one elected after it.
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
  /** DataVersion.stateVersion of the registration: the master epoch in controller mode, else 0 */
  stateVersion: number;
  /** identifies the connection the registration came over; its close unregisters the broker */
  connectionId?: number;
}

interface LiveBroker {
  registration: BrokerRegistration;
  lastUpdateMs: number;
}

/** What REGISTER_BROKER decided: the group's master for a slave, or why the registration was ignored. */
export interface RegisterResult {
  masterAddr?: string;
  haServerAddr?: string;
  /** the slot is held by a broker with a higher stateVersion; the registering one left the live table */
  ignored?: { holder: string; holderStateVersion: number };
}

export class RouteInfoManager {
  /** brokerAddr → the broker's last registration */
  private readonly brokers = new Map<string, LiveBroker>();
  /** brokerName → brokerId → brokerAddr (brokerAddrTable's BrokerData.brokerAddrs) */
  private readonly brokerAddrTable = new Map<string, Map<number, string>>();

  constructor(private readonly clock: Clock = systemClock) {}

  /** Returns the master's address and HA address of the group, as RegisterBrokerResult does. */
  registerBroker(registration: BrokerRegistration): RegisterResult {
    const { brokerName, brokerId, brokerAddr } = registration;
    const addrs = this.brokerAddrTable.get(brokerName) ?? new Map<number, string>();
    this.brokerAddrTable.set(brokerName, addrs);
    // A slave that became master registers under 0: one address has one slot.
    for (const [id, addr] of addrs) if (addr === brokerAddr && id !== brokerId) addrs.delete(id);
    const holder = addrs.get(brokerId);
    const held = holder !== undefined && holder !== brokerAddr ? this.brokers.get(holder) : undefined;
    if (held && held.registration.stateVersion > registration.stateVersion) {
      this.brokers.delete(brokerAddr);
      return { ignored: { holder: holder!, holderStateVersion: held.registration.stateVersion } };
    }
    addrs.set(brokerId, brokerAddr);
    this.brokers.set(brokerAddr, { registration, lastUpdateMs: this.clock.nowMs() });
    const master = this.brokers.get(addrs.get(0) ?? '');
    return brokerId === 0 ? {} : { masterAddr: master?.registration.brokerAddr, haServerAddr: master?.registration.haServerAddr };
  }

  unregisterBroker(brokerAddr: string): boolean {
    return this.remove(brokerAddr);
  }

  connectionClosed(connectionId: number): string[] {
    return this.removeWhere((b) => b.registration.connectionId === connectionId);
  }

  scanNotActiveBroker(): string[] {
    const deadline = this.clock.nowMs() - BROKER_CHANNEL_EXPIRED_MS;
    return this.removeWhere((b) => b.lastUpdateMs < deadline);
  }

  /**
   * TopicRouteData for a topic, or null when no live broker serves it. Queue data comes from the
   * group's master when it is alive, else from any member (consumers keep reading from a slave).
   */
  pickupTopicRouteData(topic: string): TopicRouteData | null {
    const queueDatas: QueueData[] = [];
    const brokerDatas: BrokerData[] = [];
    for (const brokerName of [...this.brokerAddrTable.keys()].sort()) {
      const members = this.groupMembers(brokerName);
      const source = members.map((b) => b.registration.topics.find((t) => t.topicName === topic)).find((t) => t !== undefined);
      if (!source) continue;
      queueDatas.push({ brokerName, readQueueNums: source.readQueueNums, writeQueueNums: source.writeQueueNums, perm: source.perm, topicSysFlag: source.topicSysFlag ?? 0 });
      // brokerAddrs lists every live member of the group, not only those that know the topic.
      brokerDatas.push({ cluster: members[0]!.registration.clusterName, brokerName, brokerAddrs: addrsOf(members) });
    }
    return brokerDatas.length === 0 ? null : { queueDatas, brokerDatas, filterServerTable: {} };
  }

  /** Every topic some live broker serves, with its queue counts per broker group. */
  topics(): { topic: string; brokers: { brokerName: string; readQueueNums: number; writeQueueNums: number; perm: number }[] }[] {
    const byTopic = new Map<string, Map<string, { brokerName: string; readQueueNums: number; writeQueueNums: number; perm: number }>>();
    for (const brokerName of this.brokerAddrTable.keys()) {
      for (const { registration: r } of this.groupMembers(brokerName)) {
        for (const t of r.topics) {
          const groups = byTopic.get(t.topicName) ?? new Map();
          if (!groups.has(r.brokerName)) groups.set(r.brokerName, { brokerName: r.brokerName, readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm });
          byTopic.set(t.topicName, groups);
        }
      }
    }
    return [...byTopic].map(([topic, groups]) => ({ topic, brokers: [...groups.values()] })).sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /** GET_BROKER_CLUSTER_INFO: brokerAddrTable and clusterAddrTable. */
  clusterInfo(): { brokerAddrTable: Record<string, BrokerData>; clusterAddrTable: Record<string, string[]> } {
    const brokerAddrTable: Record<string, BrokerData> = {};
    const clusterAddrTable: Record<string, string[]> = {};
    for (const brokerName of this.brokerAddrTable.keys()) {
      const members = this.groupMembers(brokerName);
      if (members.length === 0) continue;
      const cluster = members[0]!.registration.clusterName;
      brokerAddrTable[brokerName] = { cluster, brokerName, brokerAddrs: addrsOf(members) };
      const names = (clusterAddrTable[cluster] ??= []);
      if (!names.includes(brokerName)) names.push(brokerName);
    }
    return { brokerAddrTable, clusterAddrTable };
  }

  /** The live brokers that hold a slot of their group, by brokerId. */
  private groupMembers(brokerName: string): LiveBroker[] {
    const members: LiveBroker[] = [];
    for (const [, addr] of [...this.brokerAddrTable.get(brokerName) ?? []].sort(([a], [b]) => a - b)) {
      const live = this.brokers.get(addr);
      if (live) members.push(live);
    }
    return members;
  }

  private removeWhere(test: (b: LiveBroker) => boolean): string[] {
    const gone = [...this.brokers].filter(([, b]) => test(b)).map(([addr]) => addr);
    for (const addr of gone) this.remove(addr);
    return gone;
  }

  private remove(brokerAddr: string): boolean {
    const live = this.brokers.get(brokerAddr);
    if (!live) return false;
    this.brokers.delete(brokerAddr);
    const addrs = this.brokerAddrTable.get(live.registration.brokerName);
    for (const [id, addr] of addrs ?? []) if (addr === brokerAddr) addrs!.delete(id);
    if (addrs?.size === 0) this.brokerAddrTable.delete(live.registration.brokerName);
    return true;
  }
}

function addrsOf(members: LiveBroker[]): Record<string, string> {
  return Object.fromEntries(members.map((b) => [String(b.registration.brokerId), b.registration.brokerAddr]));
}
