/**
 * The one admin client the control plane talks to a broker with, named after RocketMQ's
 * MQAdminExt (getBrokerConfig, updateBrokerConfig, createAndUpdateTopicConfig, minOffset, maxOffset)
 * plus the two requests Zeroloss adds or reads without a consumer: promoting a slave and a browsing
 * PULL_MESSAGE. Every request is built here and nowhere else in server/.
 *
 * It owns no connection logic: it sends over a RemotingClient, its own or one it is handed (the
 * message console shares its MQClientInstance's). A broker's refusal is thrown as a ZerolossError
 * BROKER_ERROR carrying the response code; a connection that fails or times out throws the
 * RemotingClient's own error (CONNECT_FAILED, CONNECTION_CLOSED, REQUEST_TIMEOUT).
 */
import { AUTO_CREATE_TOPIC_KEY_TOPIC, PullSysFlag, RequestCode, ResponseCode, responseCodeName } from '../../broker/protocol/codes';
import { createRequest, type RemotingCommand } from '../../broker/protocol/remoting-command';
import { RemotingClient } from '../../broker/remoting/remoting-client';
import { ZerolossError } from '../../broker/errors/errors';
import { parseBrokerConf, parseProperties, toBrokerConf } from '../../broker/config/properties';
import { parseRocketMQJson } from '../../broker/protocol/rocketmq-json';
import type { BrokerData, TopicRouteData } from '../../broker/namesrv/route-info-manager';
import { BrokerSettingsSchema, type BrokerSettings, type BrokerSettingsPatch } from '../../broker/config/broker-config';
import type { MasterRole } from '../../broker/ha/broker-replication';
import type { SessionCredentials } from '../../broker/acl/acl-signature';

/** how long an admin request may take, as mqadmin's default timeout */
const ADMIN_TIMEOUT_MS = 3000;
/** a promotion waits for the slave to finish its dispatch and open its HA port */
const PROMOTE_TIMEOUT_MS = 10_000;

/** The topic fields of `mqadmin updateTopic` (TopicConfig) that Zeroloss uses. */
export interface TopicConfig {
  topic: string;
  readQueueNums: number;
  writeQueueNums: number;
  /** PermName bits: READ 4 | WRITE 2 | INHERIT 1 */
  perm: number;
}

/** GET_BROKER_CLUSTER_INFO's body: each group's replicas by brokerId, and each cluster's groups. */
export interface ClusterInfo {
  brokerAddrTable: Record<string, BrokerData>;
  clusterAddrTable: Record<string, string[]>;
}

/** A browsing pull: the broker's answer as it came, for the caller to read page by page. */
export interface BrowsePullResult {
  responseCode: number;
  remark?: string;
  nextBeginOffset?: number;
  body?: Buffer;
}

export class MQAdminClient {
  private readonly remoting: RemotingClient;
  private readonly ownsRemoting: boolean;

  /**
   * Without a RemotingClient it opens its own (signing with `credentials` when the cluster has ACL),
   * and close() closes it.
   */
  constructor(remoting?: RemotingClient, credentials?: SessionCredentials) {
    this.remoting = remoting ?? new RemotingClient(undefined, undefined, undefined, credentials);
    this.ownsRemoting = remoting === undefined;
  }

  /** GET_BROKER_CONFIG (26), as `mqadmin getBrokerConfig` asks it: the settings the broker runs now. */
  async getBrokerConfig(address: string): Promise<BrokerSettings> {
    return BrokerSettingsSchema.parse(parseBrokerConf(await this.brokerConfigText(address)).patch);
  }

  /**
   * GET_BROKER_CONFIG (26) as the broker wrote it, every key kept as text: what an external RocketMQ
   * broker runs, including keys Zeroloss does not model and values outside its own ranges.
   */
  async getBrokerConfigProperties(address: string): Promise<Record<string, string>> {
    return Object.fromEntries(parseProperties(await this.brokerConfigText(address)));
  }

  /** GET_BROKER_CONFIG's body, the broker's properties text. */
  private async brokerConfigText(address: string): Promise<string> {
    const response = await this.remoting.invoke(address, createRequest(RequestCode.GET_BROKER_CONFIG, {}), ADMIN_TIMEOUT_MS);
    if (response.code !== ResponseCode.SUCCESS) throw refused(`GET_BROKER_CONFIG answered ${responseCodeName(response.code)} ${response.remark ?? ''}`.trim(), response);
    return response.body?.toString('utf8') ?? '';
  }

  /** GET_BROKER_CLUSTER_INFO (106) from a name server, as `mqadmin clusterList` asks it. */
  async clusterInfo(namesrvAddr: string): Promise<ClusterInfo> {
    const response = await this.remoting.invoke(namesrvAddr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO, {}), ADMIN_TIMEOUT_MS);
    if (response.code !== ResponseCode.SUCCESS) throw refused(`GET_BROKER_CLUSTER_INFO answered ${reasonOf(response)}`, response);
    const info = parseRocketMQJson<Partial<ClusterInfo>>(response.body?.toString('utf8') ?? '{}');
    return { brokerAddrTable: info.brokerAddrTable ?? {}, clusterAddrTable: info.clusterAddrTable ?? {} };
  }

  /** GET_ROUTEINFO_BY_TOPIC (105) from a name server, as `mqadmin topicRoute` asks it; undefined when the topic has no route. */
  async topicRoute(namesrvAddr: string, topic: string): Promise<TopicRouteData | undefined> {
    const response = await this.remoting.invoke(namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), ADMIN_TIMEOUT_MS);
    if (response.code === ResponseCode.TOPIC_NOT_EXIST) return undefined;
    if (response.code !== ResponseCode.SUCCESS) throw refused(`GET_ROUTEINFO_BY_TOPIC answered ${reasonOf(response)}`, response);
    return parseRocketMQJson<TopicRouteData>(response.body?.toString('utf8') ?? '{}');
  }

  /** UPDATE_BROKER_CONFIG (25) with a properties body, as `mqadmin updateBrokerConfig` sends it. Throws the broker's own reason. */
  async updateBrokerConfig(address: string, patch: BrokerSettingsPatch): Promise<void> {
    const response = await this.remoting.invoke(address, createRequest(RequestCode.UPDATE_BROKER_CONFIG, {}, Buffer.from(toBrokerConf(patch))), ADMIN_TIMEOUT_MS);
    if (response.code !== ResponseCode.SUCCESS) throw refused(reasonOf(response), response);
  }

  /** UPDATE_AND_CREATE_TOPIC (17), as `mqadmin updateTopic` sends it. Throws the broker's own reason. */
  async createAndUpdateTopicConfig(address: string, config: TopicConfig): Promise<void> {
    const response = await this.remoting.invoke(address, createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic: config.topic, defaultTopic: AUTO_CREATE_TOPIC_KEY_TOPIC, readQueueNums: config.readQueueNums, writeQueueNums: config.writeQueueNums,
      perm: config.perm, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    }), ADMIN_TIMEOUT_MS);
    if (response.code !== ResponseCode.SUCCESS) throw refused(reasonOf(response), response);
  }

  /** ZL_PROMOTE_SLAVE (Zeroloss's own code): the slave becomes the master of its group. Throws the broker's own reason. */
  async promoteSlave(address: string, brokerRole: MasterRole): Promise<{ haPort: number; promotedAtOffset: number }> {
    const response = await this.remoting.invoke(address, createRequest(RequestCode.ZL_PROMOTE_SLAVE, { brokerRole }), PROMOTE_TIMEOUT_MS);
    if (response.code !== ResponseCode.SUCCESS) throw refused(reasonOf(response), response);
    return JSON.parse(response.body?.toString('utf8') ?? '{}') as { haPort: number; promotedAtOffset: number };
  }

  /** GET_MIN_OFFSET (31) of one queue. */
  minOffset(address: string, topic: string, queueId: number): Promise<number> {
    return this.queueOffset(RequestCode.GET_MIN_OFFSET, address, { topic, queueId });
  }

  /** GET_MAX_OFFSET (30) of one queue: where the next message lands. */
  maxOffset(address: string, topic: string, queueId: number): Promise<number> {
    return this.queueOffset(RequestCode.GET_MAX_OFFSET, address, { topic, queueId });
  }

  /** QUERY_CONSUMER_OFFSET (14): the offset a consumer group has committed on one queue. */
  queryConsumerOffset(address: string, consumerGroup: string, topic: string, queueId: number): Promise<number> {
    return this.queueOffset(RequestCode.QUERY_CONSUMER_OFFSET, address, { consumerGroup, topic, queueId });
  }

  /** UPDATE_CONSUMER_OFFSET (15): commits a group's offset on one queue, as `mqadmin resetOffsetByTime` moves it. */
  async updateConsumerOffset(address: string, consumerGroup: string, topic: string, queueId: number, commitOffset: number): Promise<void> {
    const response = await this.remoting.invoke(address, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup, topic, queueId, commitOffset }), ADMIN_TIMEOUT_MS);
    if (response.code !== ResponseCode.SUCCESS) throw refused(`UPDATE_CONSUMER_OFFSET answered ${responseCodeName(response.code)}: ${reasonOf(response)}`, response);
  }

  /**
   * PULL_MESSAGE without the COMMIT_OFFSET and SUSPEND flags: no consumer offset moves and nothing
   * waits (rocketmq-dashboard's "message by queue" reads the same way). Every answer is returned,
   * refusals included: an empty or moved queue is a page's end, not an error.
   */
  async pullForBrowse(address: string, query: { consumerGroup: string; topic: string; queueId: number; queueOffset: number; maxMsgNums: number }): Promise<BrowsePullResult> {
    const response = await this.remoting.invoke(address, createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: query.consumerGroup, topic: query.topic, queueId: query.queueId, queueOffset: query.queueOffset, maxMsgNums: query.maxMsgNums,
      sysFlag: PullSysFlag.SUBSCRIPTION, commitOffset: -1, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0,
    }), ADMIN_TIMEOUT_MS);
    const next = response.extFields?.nextBeginOffset;
    return { responseCode: response.code, remark: response.remark, nextBeginOffset: next === undefined ? undefined : Number(next), body: response.body };
  }

  close(): void {
    if (this.ownsRemoting) this.remoting.close();
  }

  /** A request whose answer is one `offset` field (GET_MIN_OFFSET, GET_MAX_OFFSET, QUERY_CONSUMER_OFFSET). */
  private async queueOffset(code: number, address: string, header: { topic: string; queueId: number; consumerGroup?: string }): Promise<number> {
    const response = await this.remoting.invoke(address, createRequest(code, header), ADMIN_TIMEOUT_MS);
    if (response.code !== ResponseCode.SUCCESS) throw refused(`${responseCodeName(response.code)} ${response.remark ?? ''}`.trim(), response);
    return Number(response.extFields?.offset ?? 0);
  }
}

/** The broker's own sentence for a refusal, or its response code's name when it gave none. */
function reasonOf(response: RemotingCommand): string {
  return response.remark ?? responseCodeName(response.code);
}

function refused(message: string, response: RemotingCommand): ZerolossError {
  return new ZerolossError('BROKER_ERROR', message, { responseCode: response.code });
}
