/**
 * Messages between a child process (broker, traffic runner) and the control plane, over Node's
 * IPC channel. Stage events are batched: one IPC message carries every event of ~50 ms.
 */
import type { BrokerSettings, BrokerSettingsPatch } from './config/broker-config.js';
import type { SendStatus } from './protocol/codes.js';
import type { HaEvent, HaStats } from './ha/ha-types.js';

/** A message's stage; the aggregator counts each per second and the recorder keeps them. */
export type Stage = 'sent' | 'stored' | 'flushed' | 'replicated' | 'delivered' | 'acked';

export interface BrokerStats {
  maxPhyOffset: number;
  flushedPhyOffset: number;
  unflushedBytes: number;
  connections: number;
  storedTotal: number;
  /** replication: role, link state, slave ack offset, lag in bytes / messages / ms, divergence */
  ha?: HaStats;
}

export type BrokerToParent =
  | { type: 'ready'; pid: number; port: number; settings: BrokerSettings; recovery: { abnormal: boolean; truncatedBytes: number }; haPort?: number; truncatedTo?: number }
  | { type: 'fatal'; message: string }
  | { type: 'stats'; atMs: number; stats: BrokerStats }
  /** stored: [uniqKey, commitLogOffset, size] per record; flushedOffset: the newest durable commit-log offset */
  | { type: 'stage'; atMs: number; stored: [string, number, number][]; flushedOffset?: number; replicatedOffset?: number; replicatedCount?: number }
  /** replication events: connections, divergence, garbage frames, promotion */
  | { type: 'ha'; event: HaEvent }
  /** the slave became the master of its group; promotedAtOffset is the common prefix for the old master */
  | { type: 'promoted'; brokerRole: 'SYNC_MASTER' | 'ASYNC_MASTER'; haPort: number; promotedAtOffset: number }
  | { type: 'settings'; settings: BrokerSettings }
  | { type: 'powerCut'; cut: { path: string; lostBytes: number }[]; flushedOffset: number; maxOffset: number };

export type ParentToBroker =
  | { type: 'updateSettings'; patch: BrokerSettingsPatch }
  | { type: 'powerLoss' }
  | { type: 'promote'; brokerRole: 'SYNC_MASTER' | 'ASYNC_MASTER' }
  | { type: 'shutdown' };

export type SendMode = 'sync' | 'async' | 'oneway';

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
  offsetMsgId?: string;
  queueOffset?: number;
}

export interface TrafficConfig {
  brokerAddr: string;
  topic: string;
  producerGroup: string;
  producerId: string;
  /** messages per second */
  rate: number;
  bodySize: number;
  sendMode: SendMode;
  /** stop after this many messages; 0 = until stopped */
  count: number;
}

export type TrafficToParent =
  | { type: 'ready'; pid: number }
  | { type: 'outcomes'; outcomes: SendOutcome[] }
  | { type: 'done'; attempted: number }
  | { type: 'fatal'; message: string };

export type ParentToTraffic = { type: 'stop' };
