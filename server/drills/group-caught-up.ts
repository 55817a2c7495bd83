/**
 * Whether a drill's consumer group has nothing more coming: on every group's master the route names
 * (brokerId 0), every queue of the topic has a committed consumer offset at its
 * max offset, and the group's retry topic never received a message. RocketMQ Dashboard calls the
 * first part a group's "diff total" of 0.
 *
 * Why that is enough once producers have stopped: a consumer commits an offset only past messages it
 * was handed and acknowledged, so a committed offset at the max offset leaves nothing in the queue
 * for anyone; a consumer that died with work in hand has not committed it (the survivor re-pulls it,
 * and until then the offset lags); and a message sent back for a later retry would show in the retry
 * topic (it waits in SCHEDULE_TOPIC_XXXX first, where these counts cannot see it, so any retry
 * message at all answers "not caught up"). Half messages are not covered: the drain keeps waiting
 * while any is unresolved.
 */
import type { TopicRouteData } from '../../broker/namesrv/route-info-manager';
import { MASTER_ID, RETRY_GROUP_TOPIC_PREFIX, RETRY_QUEUE_NUMS } from '../../broker/protocol/codes';
import type { MQAdminClient } from '../cluster/admin-client';

/** Each group a topic's route lists: its master's address now (undefined while it has none) and its read queues. */
export function routeQueues(route: TopicRouteData | null | undefined): { brokerName: string; master: string | undefined; queueNums: number }[] {
  return (route?.queueDatas ?? []).map((q) => ({
    brokerName: q.brokerName,
    master: route!.brokerDatas.find((b) => b.brokerName === q.brokerName)?.brokerAddrs[String(MASTER_ID)],
    queueNums: q.readQueueNums,
  }));
}

export async function groupCaughtUp(admin: MQAdminClient, route: TopicRouteData | null | undefined, topic: string, group: string): Promise<boolean> {
  // Every group the topic lives on that has a master now (a group without one cannot be consumed from).
  const masters = routeQueues(route).flatMap(({ master, queueNums }) => (master && queueNums > 0 ? [{ address: master, queueNums }] : []));
  if (masters.length === 0) return false;
  try {
    const retryTopic = `${RETRY_GROUP_TOPIC_PREFIX}${group}`;
    for (const { address, queueNums } of masters) {
      for (let queueId = 0; queueId < RETRY_QUEUE_NUMS; queueId++) {
        if (await admin.maxOffset(address, retryTopic, queueId) > 0) return false;
      }
      for (let queueId = 0; queueId < queueNums; queueId++) {
        const max = await admin.maxOffset(address, topic, queueId);
        if (await admin.queryConsumerOffset(address, group, topic, queueId) < max) return false;
      }
    }
    return true;
  } catch {
    // A refusal (QUERY_NOT_FOUND: nothing committed yet) or a lost connection: not known to be caught up.
    return false;
  }
}
