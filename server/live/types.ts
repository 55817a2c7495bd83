/**
 * What the live stream (WebSocket LIVE_PATH) carries to the browser, and its constants. Shared by
 * server/ and app/: the dashboard imports the constants at run time, so this file imports types only
 * (erased at build) and never a module that would pull Node into the browser bundle.
 */
import type { ProcessStatus } from '../cluster/child-process';
import type { ReplicationView } from '../cluster/broker-group';
import type { GroupView } from '../cluster/replica-group';
import type { ControllerNodeView } from '../cluster/controller-node';
import type { ProducerFaultReport, TrafficConfig } from '../../broker/ipc';
import type { ConsumerView, FleetInput } from '../traffic/consumer-fleet';
import type { DrillStatus } from '../drills/types';
import type { NodeSettingsView } from '../cluster/node-settings';
import type { TrafficTargetView } from '../traffic/traffic-target';
import type { LiveSample, OutcomeStatus } from './live-sample';

// The sample and its statuses live in live-sample.ts, below server/drills/types.ts (which records samples).
export { OUTCOME_STATUSES, RATE_WINDOW_MS, SAMPLE_INTERVAL_MS, type LiveSample, type OutcomeStatus } from './live-sample';

export interface ClientGroupView {
  kind: 'producer' | 'consumer';
  group: string;
  clientIds: string[];
  topics: string[];
  external: boolean;
}

export interface ChartMarker {
  t: number;
  kind: 'setting' | 'fault' | 'process' | 'traffic';
  label: string;
}

export interface BrokerView extends ProcessStatus {
  port?: number;
  address?: string;
  storePath: string;
  lastRecovery?: { abnormal: boolean; truncatedBytes: number };
  lastPowerCut?: { atMs: number; lostBytes: number; flushedOffset: number; maxOffset: number };
}

/** The traffic runner's producer across the groups: answers per group since it started, and the groups it avoids now (sendLatencyFaultEnable). */
export interface ProducerView {
  answeredBy: Record<string, number>;
  avoided: ProducerFaultReport['avoided'];
}

export interface LiveState {
  t: number;
  /** cluster events recorded since the control plane started: a page showing them refetches when it moves */
  eventSeq: number;
  broker: BrokerView;
  traffic: ProcessStatus & { config?: TrafficConfig; producer?: ProducerView };
  /** the desired settings (saved); what each node really runs is in `nodes` */
  settings: { flushDiskType: 'SYNC_FLUSH' | 'ASYNC_FLUSH'; brokerRole: 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE' };
  /** every broker node's confirmed settings, and its drift from the desired ones (server/cluster/node-settings.ts) */
  nodes: NodeSettingsView[];
  totals: {
    sent: number;
    stored: number;
    byStatus: Record<OutcomeStatus, number>;
    delivered: number;
    consumed: number;
    reconsumed: number;
    duplicatesSuppressed: number;
    /** messages the broker moved to a %DLQ% topic */
    dlq: number;
    /** consumer-side sequence check over every (producer, queue) stream */
    sequence: { inOrder: number; gaps: number; reordered: number; duplicates: number; missingNow: number };
  };
  consumers: { running: boolean; input?: FleetInput; members: ConsumerView[] };
  namesrv?: { address: string };
  /** where the Traffic and Messages pages' clients go: the embedded cluster or an external one (server/traffic/traffic-target.ts) */
  target: TrafficTargetView;
  /** producer and consumer groups known from heartbeats: the lab's own and a user's external application */
  clients: ClientGroupView[];
  /** broker-a/1 (the API's slave), the HA link and replication lag (server/cluster/broker-group.ts) */
  replication?: ReplicationView;
  /** the cluster's shape and every group's replicas with role and offsets (server/cluster/topology.ts) */
  topology: {
    replicas: number;
    /** RocketMQ 5's controller mode (the saved enableControllerMode): the controller elects each group's master */
    controllerMode: boolean;
    groups: GroupView[];
    /** controller mode: the controller process and the keys it confirmed it runs */
    controller?: ControllerNodeView;
  };
  markers: ChartMarker[];
  /** the crash drill that runs now, if any (server/drills/) */
  drill?: DrillStatus;
}

export type LiveMessage =
  | { type: 'hello'; history: LiveSample[]; state: LiveState }
  | { type: 'tick'; sample: LiveSample; state: LiveState };

/** where the control plane serves the stream, on its own port */
export const LIVE_PATH = '/api/live';
/** the close code of a stream whose credential stopped being valid (4000-4999: the application's); the browser reloads on it */
export const CLOSE_CREDENTIAL_ENDED = 4401;
/** samples kept for a newly connected browser, and by the browser: 2 minutes */
export const HISTORY_SAMPLES = 480;
