/**
 * Messages between a child process (broker, traffic runner) and the control plane, over Node's
 * IPC channel. Stage events are batched: one IPC message carries every event of ~50 ms.
 * broker/runtime/child-runtime.ts carries them on the child's side (ready, fatal, the stop),
 * server/cluster/child-process.ts on the parent's.
 */
import type { BrokerSettings, ControllerSettings } from './config/broker-config.js';
import type { SendStatus } from './protocol/codes.js';
import type { HaEvent, HaStats } from './ha/ha-types.js';
import type { LabBug } from './lab-bugs.js';
import type { AckMode } from './client/ack-mode.js';
import type { SendMode } from './client/send-mode.js';
import type { ControllerEvent } from './controller/controller-server.js';

/** Every child reports a fatal error the same way, just before it exits (broker/runtime/child-runtime.ts). */
export interface FatalReport {
  type: 'fatal';
  message: string;
}

/**
 * The start of the line a broker writes to stderr the instant its power cut strikes: a synchronous
 * write(2) (stderr is a pipe), so a trace of the broker's syscalls shows exactly where the cut fell
 * (test/support/strace-witness.ts takes it as the cut; the powerLoss order may come milliseconds earlier).
 */
export const POWER_CUT_STRIKES = '[broker] power cut strikes';

export interface ClientsSnapshot {
  producers: Record<string, string[]>;
  consumers: Record<string, { clientIds: string[]; topics: string[]; messageModel: string }>;
}

export interface BrokerStats {
  maxPhyOffset: number;
  flushedPhyOffset: number;
  unflushedBytes: number;
  connections: number;
  storedTotal: number;
  /** replication: role, link state, slave ack offset, lag in bytes / messages / ms, divergence */
  ha?: HaStats;
  /** producer and consumer groups known from heartbeats, with their client ids (sent once a second) */
  clients?: ClientsSnapshot;
}

export type BrokerToParent =
  | { type: 'ready'; pid: number; port: number; settings: BrokerSettings; recovery: { abnormal: boolean; truncatedBytes: number }; haPort?: number; truncatedTo?: number }
  | FatalReport
  | { type: 'stats'; atMs: number; stats: BrokerStats }
  /** stored: [uniqKey, commitLogOffset, size] per record; flushedOffset: the newest durable commit-log offset */
  | { type: 'stage'; atMs: number; stored: [string, number, number][]; flushedOffset?: number; replicatedOffset?: number; replicatedCount?: number; dlq?: string[] }
  /** replication events: connections, divergence, garbage frames, promotion */
  | { type: 'ha'; event: HaEvent }
  | { type: 'settings'; settings: BrokerSettings }
  | { type: 'powerCut'; cut: { path: string; lostBytes: number }[]; flushedOffset: number; maxOffset: number };

/**
 * A broker's batch of stage events, and its power-cut report, as the control plane passes them on:
 * with the name of the group whose master sent them (commit-log offsets are per group).
 */
export type StageBatch = Extract<BrokerToParent, { type: 'stage' }> & { brokerName?: string };
export type PowerCutReport = Extract<BrokerToParent, { type: 'powerCut' }> & { brokerName?: string };

export type ParentToBroker =
  | { type: 'powerLoss' }
  | { type: 'shutdown' };

/** One send's outcome as the producer saw it. */
export interface SendOutcome {
  /** UNIQ_KEY */
  id: string;
  queueId: number;
  seq: number;
  sentAtMs: number;
  latencyMs: number;
  status: SendStatus | 'ERROR' | 'TIMEOUT' | 'UNCHECKED';
  error?: string;
  /** the broker's response code of a failed send, when a broker answered one (NO_PERMISSION, SYSTEM_BUSY, …) */
  responseCode?: number;
  offsetMsgId?: string;
  queueOffset?: number;
  /** the message's KEYS property, when the producer set one */
  keys?: string;
  /** the broker group that answered (a retry may have moved it to another group than the first attempt's) */
  brokerName?: string;
}

/** The producer's view of the groups (RocketMQ's latency-fault avoidance): the ones it avoids now. */
export interface ProducerFaultReport {
  avoided: { brokerName: string; currentLatencyMs: number; backInMs: number }[];
}

export interface TrafficConfig {
  /** routes through the name server; or brokerAddr to send to one broker directly */
  namesrvAddr?: string;
  brokerAddr?: string;
  topic: string;
  producerGroup: string;
  producerId: string;
  /** messages per second */
  rate: number;
  bodySize: number;
  sendMode: SendMode;
  /** stop after this many messages; 0 = until stopped */
  count: number;
  /** send to the master through a fault proxy: master address → proxy address (drills' producer-link faults) */
  brokerAddressMap?: Record<string, string>;
  /** the producer's budget and retries (the settings' sendMsgTimeout, retryTimesWhen*Failed); absent = the client defaults */
  sendMsgTimeout?: number;
  retryTimesWhenSendFailed?: number;
  retryTimesWhenSendAsyncFailed?: number;
  retryAnotherBrokerWhenNotStoreOK?: boolean;
  sendLatencyFaultEnable?: boolean;
  /** seeds the message bodies (a drill's seed); absent = random bodies */
  bodySeed?: number;
  /**
   * KEYS of every message: the pattern with {n} replaced by the message's number in this run
   * (1, 2, ...) and {producer} by producerId; absent = no KEYS.
   */
  keyPattern?: string;
  /** deliberate bugs switched on in this runner (broker/lab-bugs.ts), validated at its start */
  labBugs?: LabBug[];
}

export type TrafficToParent =
  | { type: 'ready'; pid: number }
  | { type: 'outcomes'; outcomes: SendOutcome[]; faults?: ProducerFaultReport }
  | { type: 'done'; attempted: number }
  | FatalReport;

export type ParentToTraffic = { type: 'stop' };

export interface ConsumerConfig {
  namesrvAddr: string;
  consumerGroup: string;
  topic: string;
  /** unique per consumer process: the rebalance sorts on it */
  clientId: string;
  ackMode: AckMode;
  /** dedupe on UNIQ_KEY through a persisted store, so a redelivery is not applied twice */
  idempotent: boolean;
  /** where the dedupe store lives (per group, shared by the group's consumers in the lab) */
  dedupeFile: string;
  /** simulated work per message */
  processingMs: number;
  /** answer RECONSUME_LATER for this share of deliveries (0..1), to drive retries and the DLQ */
  failRate: number;
  maxReconsumeTimes: number;
  consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET';
  persistConsumerOffsetIntervalMs: number;
  rebalanceIntervalMs: number;
  /** deliberate bugs switched on in this consumer (broker/lab-bugs.ts), validated at its start */
  labBugs?: LabBug[];
}

/** What a consumer saw of one message. */
export interface ConsumeEvent {
  kind: 'delivered' | 'consumed' | 'reconsume' | 'duplicate-suppressed';
  /** UNIQ_KEY */
  id: string;
  producerId?: string;
  /** the producer's queue stamp (brokerName:queueId) and sequence number */
  queue?: string;
  seq?: number;
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  reconsumeTimes: number;
  atMs: number;
}

export type ConsumerToParent =
  | { type: 'ready'; pid: number; clientId: string }
  | { type: 'events'; events: ConsumeEvent[] }
  | { type: 'rebalanced'; queues: string[] }
  | { type: 'error'; message: string }
  | FatalReport;

export type ParentToConsumer = { type: 'stop' };

/** broker/controller/main.ts → the control plane. */
export type ControllerToParent =
  /** settings: the controller's own keys as it runs them (broker/config/broker-config.ts#controllerSettings) */
  | { type: 'ready'; pid: number; port: number; settings: ControllerSettings }
  | { type: 'controller'; event: ControllerEvent }
  | FatalReport;
