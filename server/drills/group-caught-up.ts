/**
 * Whether a drill's consumer group has nothing more coming: on the broker the name server routes the
 * topic to as master (brokerId 0), every queue of the topic has a committed consumer offset at its
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
import type { RouteInfoManager } from '../../broker/namesrv/route-info-manager';
import { MASTER_ID, RETRY_GROUP_TOPIC_PREFIX, RETRY_QUEUE_NUMS } from '../../broker/protocol/codes';
import { MQAdminClient } from '../cluster/admin-client';

export interface CaughtUp {
  caughtUp: boolean;
  /** why not, for the drain's message; empty when caught up */
  reason: string;
}

export async function groupCaughtUp(routes: RouteInfoManager, topic: string, group: string): Promise<CaughtUp> {
  const route = routes.pickupTopicRouteData(topic);
  const master = route?.brokerDatas[0]?.brokerAddrs[String(MASTER_ID)];
  const queueNums = route?.queueDatas[0]?.readQueueNums ?? 0;
  if (!route || !master || queueNums === 0) return { caughtUp: false, reason: `no master routed for ${topic}` };
  const admin = new MQAdminClient();
  try {
    const retryTopic = `${RETRY_GROUP_TOPIC_PREFIX}${group}`;
    for (let queueId = 0; queueId < RETRY_QUEUE_NUMS; queueId++) {
      if (await admin.maxOffset(master, retryTopic, queueId) > 0) return { caughtUp: false, reason: `the retry topic ${retryTopic} holds messages` };
    }
    let behind = 0;
    for (let queueId = 0; queueId < queueNums; queueId++) {
      const max = await admin.maxOffset(master, topic, queueId);
      behind += Math.max(0, max - await admin.queryConsumerOffset(master, group, topic, queueId));
    }
    return behind === 0 ? { caughtUp: true, reason: '' } : { caughtUp: false, reason: `the group is ${behind} message(s) behind` };
  } catch (error) {
    // A refusal (QUERY_NOT_FOUND: nothing committed yet) or a lost connection: not known to be caught up.
    return { caughtUp: false, reason: (error as Error).message };
  } finally {
    admin.close();
  }
}
