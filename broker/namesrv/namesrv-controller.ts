/**
 * The name server (namesrv/NamesrvController.java): a remoting listener in front of the
 * RouteInfoManager. Brokers register (REGISTER_BROKER 103) every REGISTER_NAME_SERVER_PERIOD_MS;
 * clients ask for routes (GET_ROUTEINFO_BY_TOPIC 105). An unknown topic is TOPIC_NOT_EXIST (17).
 */
import { systemClock, type Clock, type Timer } from '../io/clock.js';
import { realTransport, type Transport } from '../io/transport.js';
import { RequestCode, ResponseCode } from '../protocol/codes.js';
import { createResponse, extNumber, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import type { RemotingServerConfig } from '../config/broker-config.js';
import { RemotingServer, type ConnectionContext } from '../remoting/remoting-server.js';
import { RouteInfoManager, type TopicConfigLike } from './route-info-manager.js';

/** The part of RegisterBrokerBody the name server reads. */
interface RegisterBrokerBody {
  topicConfigSerializeWrapper?: {
    topicConfigTable?: Record<string, TopicConfigLike>;
    /** DataVersion; stateVersion is the master epoch of a broker in controller mode */
    dataVersion?: { stateVersion?: number };
  };
}

export interface NamesrvEvents {
  brokerRegistered?(brokerAddr: string, brokerName: string, brokerId: number, isNew: boolean): void;
  brokerGone?(brokerAddr: string, why: string): void;
  /** a connection closed by a limit of the listener's RemotingServerConfig */
  connectionShed?(message: string): void;
}

export class NamesrvController {
  readonly routes: RouteInfoManager;
  private readonly remoting: RemotingServer;
  private scanTimer: Timer | undefined;
  private readonly known = new Set<string>();
  port = 0;

  constructor(
    private readonly events: NamesrvEvents = {},
    private readonly clock: Clock = systemClock,
    remoting: Partial<RemotingServerConfig> = {},
    transport: Transport = realTransport,
  ) {
    this.routes = new RouteInfoManager(clock);
    this.remoting = new RemotingServer({
      connectionClosed: (connection) => {
        for (const addr of this.routes.connectionClosed(connection.id)) this.gone(addr, 'connection closed');
      },
      ...(events.connectionShed ? { connectionShed: events.connectionShed } : {}),
    }, remoting, clock, transport);
    this.remoting.register(RequestCode.REGISTER_BROKER, (request, connection) => this.registerBroker(request, connection));
    this.remoting.register(RequestCode.UNREGISTER_BROKER, (request) => {
      const addr = extString(request, 'brokerAddr') ?? '';
      if (this.routes.unregisterBroker(addr)) this.gone(addr, 'unregistered');
      return createResponse(request, ResponseCode.SUCCESS);
    });
    this.remoting.register(RequestCode.GET_ROUTEINFO_BY_TOPIC, (request) => {
      const topic = extString(request, 'topic') ?? '';
      const route = this.routes.pickupTopicRouteData(topic);
      if (!route) return createResponse(request, ResponseCode.TOPIC_NOT_EXIST, { remark: `No topic route info in name server for the topic: ${topic}` });
      return createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify(route)) });
    });
    this.remoting.register(RequestCode.GET_BROKER_CLUSTER_INFO, (request) =>
      createResponse(request, ResponseCode.SUCCESS, { body: Buffer.from(JSON.stringify(this.routes.clusterInfo())) }));
  }

  async start(port: number): Promise<number> {
    this.port = await this.remoting.listen(port);
    this.scanTimer = this.clock.setInterval(() => {
      for (const addr of this.routes.scanNotActiveBroker()) this.gone(addr, 'no registration for 120 s');
    }, 10_000).unref();
    return this.port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async shutdown(): Promise<void> {
    this.scanTimer?.cancel();
    await this.remoting.close();
  }

  private registerBroker(request: RemotingCommand, connection: ConnectionContext): RemotingCommand {
    const brokerName = extString(request, 'brokerName');
    const brokerAddr = extString(request, 'brokerAddr');
    const brokerId = extNumber(request, 'brokerId');
    if (!brokerName || !brokerAddr || brokerId === undefined) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'REGISTER_BROKER needs brokerName, brokerAddr and brokerId' });
    }
    let topics: TopicConfigLike[] = [];
    let stateVersion = 0;
    try {
      const body = JSON.parse(request.body?.toString('utf8') || '{}') as RegisterBrokerBody;
      topics = Object.values(body.topicConfigSerializeWrapper?.topicConfigTable ?? {});
      stateVersion = Number(body.topicConfigSerializeWrapper?.dataVersion?.stateVersion ?? 0) || 0;
    } catch {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'REGISTER_BROKER body is not valid RegisterBrokerBody JSON' });
    }
    const result = this.routes.registerBroker({
      clusterName: extString(request, 'clusterName') ?? 'DefaultCluster',
      brokerName,
      brokerId,
      brokerAddr,
      haServerAddr: extString(request, 'haServerAddr') ?? '',
      topics,
      stateVersion,
      connectionId: connection.id,
    });
    if (result.ignored) {
      const { holder, holderStateVersion } = result.ignored;
      if (this.known.has(brokerAddr)) this.gone(brokerAddr, `its registration as ${brokerName} brokerId ${brokerId} (stateVersion ${stateVersion}) was ignored: ${holder} holds that id with stateVersion ${holderStateVersion}`);
      return createResponse(request, ResponseCode.SUCCESS);
    }
    const isNew = !this.known.has(brokerAddr);
    this.known.add(brokerAddr);
    this.events.brokerRegistered?.(brokerAddr, brokerName, brokerId, isNew);
    const ext: Record<string, string> = {};
    if (result.masterAddr) ext.masterAddr = result.masterAddr;
    if (result.haServerAddr) ext.haServerAddr = result.haServerAddr;
    return createResponse(request, ResponseCode.SUCCESS, { extFields: ext });
  }

  private gone(addr: string, why: string): void {
    this.known.delete(addr);
    this.events.brokerGone?.(addr, why);
  }
}
