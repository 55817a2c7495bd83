/**
 * HEART_BEAT (34) and UNREGISTER_CLIENT (35): B/processor/ClientManageProcessor.java in outline.
 * A consumer group's heartbeat also creates its retry topic `%RETRY%<group>` (1 queue, read+write)
 * and, as RocketMQ's ClientManageProcessor.heartBeat does, is answered only once the name servers
 * route it: a consumer's first rebalance finds the retry topic instead of waiting for its next route
 * poll (30 s), which ali-ons's own suite showed.
 */
import { RequestCode, ResponseCode, RETRY_GROUP_TOPIC_PREFIX } from '../protocol/codes.js';
import { createRequest, createResponse, extString, type RemotingCommand } from '../protocol/remoting-command.js';
import type { ClientChannel, ClientRegistry, HeartbeatData } from '../client-registry.js';
import type { ConnectionContext } from '../remoting/remoting-server.js';

export interface ClientManageTarget {
  registry: ClientRegistry;
  /** creates the retry topic of a consumer group if it does not exist; settles once a new one is registered */
  ensureRetryTopic(topic: string): Promise<void>;
}

export function createHeartbeatProcessor(target: ClientManageTarget) {
  return async (request: RemotingCommand, connection: ConnectionContext): Promise<RemotingCommand> => {
    let data: HeartbeatData;
    try {
      data = JSON.parse(request.body?.toString('utf8') ?? '') as HeartbeatData;
    } catch {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'heartbeat body is not valid HeartbeatData JSON' });
    }
    if (typeof data?.clientID !== 'string' || data.clientID === '') {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'heartbeat body has no clientID' });
    }
    data.producerDataSet = Array.isArray(data.producerDataSet) ? data.producerDataSet : [];
    data.consumerDataSet = Array.isArray(data.consumerDataSet) ? data.consumerDataSet : [];
    const retryTopics: Promise<void>[] = [];
    for (const consumer of data.consumerDataSet) {
      consumer.subscriptionDataSet = Array.isArray(consumer.subscriptionDataSet) ? consumer.subscriptionDataSet : [];
      if (consumer.messageModel !== 'BROADCASTING') retryTopics.push(target.ensureRetryTopic(RETRY_GROUP_TOPIC_PREFIX + consumer.groupName));
    }
    await Promise.all(retryTopics);
    target.registry.heartbeat(data, connection);
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

export function createUnregisterClientProcessor(target: ClientManageTarget) {
  return (request: RemotingCommand): RemotingCommand => {
    const clientId = extString(request, 'clientID');
    if (!clientId) return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: 'clientID is missing' });
    target.registry.unregister(clientId, { producerGroup: extString(request, 'producerGroup'), consumerGroup: extString(request, 'consumerGroup') });
    return createResponse(request, ResponseCode.SUCCESS);
  };
}

/** NOTIFY_CONSUMER_IDS_CHANGED (40), oneway to every member: "rebalance now". */
export function notifyConsumerIdsChanged(group: string, channels: ClientChannel[]): void {
  for (const channel of channels) {
    const request = createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: group });
    request.flag |= 2;
    channel.connection.sendOneway(request);
  }
}
