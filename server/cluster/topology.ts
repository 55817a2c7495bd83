/**
 * The cluster's shape as data: N broker groups (broker-a, broker-b, …) of R replicas each. The
 * default is one group of master + slave, RocketMQ 4's classic pair, so `npm start` stays as light
 * as it always was. A shape this machine cannot run is refused with the reason before any process
 * starts: more than 3 replicas a group, or more broker processes than its memory holds.
 */
import { z } from 'zod';
import type { BrokerSettings } from '../../broker/config/broker-config';

/** the most replicas a group may have here (a master and two slaves) */
export const MAX_REPLICAS = 3;
/** the most groups: broker-a to broker-h */
export const MAX_GROUPS = 8;
/**
 * What one broker process takes, measured on this machine: about 110 MB resident under load (Node,
 * tsx, the remoting buffers, the page cache of its store is the kernel's), with headroom.
 */
export const BROKER_PROCESS_MB = 160;
/** what the control plane, the traffic runner, the consumers and Next.js keep for themselves */
const RESERVED_MB = 1024;

export const TopologySchema = z.object({
  groups: z.number({ error: 'groups must be a number of broker groups' }).int('groups must be a whole number')
    .min(1, 'groups must be at least 1').max(MAX_GROUPS, `groups must be at most ${MAX_GROUPS} (broker-a to broker-h)`),
  replicas: z.number({ error: 'replicas must be a number of replicas per group' }).int('replicas must be a whole number')
    .min(1, 'replicas must be at least 1 (a master alone)').max(MAX_REPLICAS, `replicas must be at most ${MAX_REPLICAS} on this machine (a master and two slaves)`),
}).strict();

export type Topology = z.infer<typeof TopologySchema>;

export const DEFAULT_TOPOLOGY: Topology = { groups: 1, replicas: 2 };

/** broker-a, broker-b, … */
export function groupName(index: number): string {
  return `broker-${String.fromCharCode(97 + index)}`;
}

export function describeTopology(t: Topology): string {
  const replicas = t.replicas === 1 ? 'a master alone' : t.replicas === 2 ? 'master + slave' : `master + ${t.replicas - 1} slaves`;
  return `${t.groups} group${t.groups === 1 ? '' : 's'} × ${t.replicas} replica${t.replicas === 1 ? '' : 's'} (${replicas}${t.groups > 1 ? ' each' : ''})`;
}

/**
 * Why a machine of `totalMemMb` (os.totalmem() / 2 ** 20) cannot run `t`, or undefined when it can:
 * each replica is a process of about BROKER_PROCESS_MB, and what the rest of the lab needs stays
 * free. (No node:os here: the dashboard imports this module for its limits.)
 */
export function topologyRefusal(t: Topology, totalMemMb: number): string | undefined {
  const processes = t.groups * t.replicas;
  const needMb = processes * BROKER_PROCESS_MB + RESERVED_MB;
  if (needMb <= totalMemMb) return undefined;
  const fits = Math.max(0, Math.floor((totalMemMb - RESERVED_MB) / BROKER_PROCESS_MB));
  return `${describeTopology(t)} is ${processes} broker processes, about ${needMb} MB with the rest of the lab; this machine has ${Math.round(totalMemMb)} MB, enough for ${fits}`;
}

/** Settings that contradict each other or the topology: the caller's mistake, refused before anything changes. */
export class SettingsContradiction extends Error {}

/**
 * Why these settings cannot run on this shape, naming both keys, or undefined when they can. Only
 * controller mode has such rules: its master's role is the controller's to decide, and it cannot ask
 * for more in-sync replicas than a group has.
 */
export function settingsContradiction(
  s: Pick<BrokerSettings, 'enableControllerMode' | 'brokerRole' | 'minInSyncReplicas' | 'inSyncReplicas'>,
  t: Topology,
): string | undefined {
  if (!s.enableControllerMode) return undefined;
  if (s.brokerRole === 'SYNC_MASTER') return 'brokerRole=SYNC_MASTER contradicts enableControllerMode=true: in controller mode the controller decides each replica\'s role and a master waits for its SyncStateSet as inSyncReplicas and allAckInSyncStateSet say; set brokerRole to ASYNC_MASTER';
  if (s.minInSyncReplicas > t.replicas) return `minInSyncReplicas=${s.minInSyncReplicas} contradicts replicas=${t.replicas} (the topology's replicas per group): a SyncStateSet can never be that large, so every send would be refused IN_SYNC_REPLICAS_NOT_ENOUGH`;
  if (s.inSyncReplicas > t.replicas) return `inSyncReplicas=${s.inSyncReplicas} contradicts replicas=${t.replicas} (the topology's replicas per group): a master would wait for acks no replica can give`;
  return undefined;
}
