/**
 * The broker's calls to the name servers (B/out/BrokerOuterAPI.java): REGISTER_BROKER with every
 * topic it serves, every REGISTER_NAME_SERVER_PERIOD_MS and as soon as its topics change, and
 * UNREGISTER_BROKER on a clean shutdown. A name server that is down is retried on the next round.
 */
import type { Clock, Timer } from './io/clock.js';
import type { Transport } from './io/transport.js';
import { REGISTER_NAME_SERVER_PERIOD_MS, RequestCode, ResponseCode } from './protocol/codes.js';
import { createRequest, extString } from './protocol/remoting-command.js';
import { RemotingClient } from './remoting/remoting-client.js';
import type { TopicConfig } from './store/topic-config-manager.js';

export interface RegistrationSource {
  clusterName: string;
  brokerName: string;
  brokerId: () => number;
  brokerAddr: string;
  haServerAddr: () => string;
  topics: () => TopicConfig[];
  /** DataVersion.stateVersion: the master epoch in controller mode (the name server prefers the newest), else 0 */
  stateVersion: () => number;
}

/** How often the topic table is checked for changes that warrant an early registration. */
const TOPIC_WATCH_MS = 500;

export class BrokerOuterAPI {
  private readonly client: RemotingClient;
  private readonly namesrvAddrs: string[];
  private timer: Timer | undefined;
  private watcher: Timer | undefined;
  private lastTopicsSignature = '';
  private registrations = 0;
  /** the master address a name server told this slave, if any */
  masterAddr: string | undefined;

  constructor(
    namesrvAddr: string,
    private readonly source: RegistrationSource,
    private readonly clock: Clock,
    transport: Transport,
    private readonly onError: (message: string) => void = () => {},
  ) {
    this.namesrvAddrs = namesrvAddr.split(';').filter(Boolean);
    this.client = new RemotingClient(undefined, clock, transport);
  }

  start(): void {
    void this.registerBrokerAll();
    this.timer = this.clock.setInterval(() => void this.registerBrokerAll(), REGISTER_NAME_SERVER_PERIOD_MS);
    this.watcher = this.clock.setInterval(() => {
      if (this.signature() !== this.lastTopicsSignature) void this.registerBrokerAll();
    }, TOPIC_WATCH_MS);
  }

  async registerBrokerAll(): Promise<void> {
    const topics = this.source.topics();
    this.lastTopicsSignature = this.signature(topics);
    const body = Buffer.from(JSON.stringify({
      topicConfigSerializeWrapper: {
        topicConfigTable: Object.fromEntries(topics.map((t) => [t.topicName, t])),
        dataVersion: { stateVersion: this.source.stateVersion(), timestamp: this.clock.nowMs(), counter: ++this.registrations },
      },
      filterServerList: [],
    }));
    await Promise.all(this.namesrvAddrs.map(async (addr) => {
      const request = createRequest(RequestCode.REGISTER_BROKER, {
        brokerName: this.source.brokerName,
        brokerAddr: this.source.brokerAddr,
        clusterName: this.source.clusterName,
        haServerAddr: this.source.haServerAddr(),
        brokerId: this.source.brokerId(),
        compressed: false,
      }, body);
      try {
        const response = await this.client.invoke(addr, request, 3000);
        if (response.code !== ResponseCode.SUCCESS) this.onError(`name server ${addr} refused the registration: ${response.remark ?? response.code}`);
        else this.masterAddr = extString(response, 'masterAddr') ?? this.masterAddr;
      } catch (error) {
        this.onError(`cannot register with name server ${addr}: ${(error as Error).message}`);
      }
    }));
  }

  async shutdown(): Promise<void> {
    this.timer?.cancel();
    this.watcher?.cancel();
    await Promise.all(this.namesrvAddrs.map((addr) =>
      this.client.invoke(addr, createRequest(RequestCode.UNREGISTER_BROKER, {
        brokerName: this.source.brokerName, brokerAddr: this.source.brokerAddr, clusterName: this.source.clusterName, brokerId: this.source.brokerId(),
      }), 1000).catch(() => undefined)));
    this.client.close();
  }

  private signature(topics = this.source.topics()): string {
    return topics.map((t) => `${t.topicName}:${t.readQueueNums}:${t.writeQueueNums}:${t.perm}`).join(',');
  }
}
