/**
 * What the HA side of a broker reports: events (connections, divergence, garbage frames,
 * promotion) and the live figures that go into the 'stats' IPC message and GET_BROKER_RUNTIME_INFO.
 */
import type { BrokerRole } from '../config/broker-config.js';

export type HaEventKind =
  | 'slave.connected'
  | 'slave.disconnected'
  | 'master.connected'
  | 'master.disconnected'
  | 'diverged'
  | 'badFrame'
  | 'promoted'
  | 'truncated'
  /** controller mode: the controller gave this replica a role (master, slave of, fenced) */
  | 'role.changed'
  /** controller mode: the master's SyncStateSet changed, or a change was refused */
  | 'syncStateSet.changed'
  /** controller mode: the controller could not be reached or refused a request */
  | 'controller';

export interface HaEvent {
  kind: HaEventKind;
  atMs: number;
  /** one sentence for the dashboard and the log */
  message: string;
  /** the commit-log offset the event is about, when there is one */
  offset?: number;
}

/**
 * Connection state of the replication link, seen from this broker:
 *  master: NO_SLAVE (none connected) | TRANSFER (≥1 slave streaming)
 *  slave:  READY (not connected, waits to retry) | CONNECTING | TRANSFER | DIVERGED (the master's log
 *          is not a continuation of ours: replication stops until the slave is rebuilt; or the master
 *          shipped from beyond our end, retried every 5 s) | SHUTDOWN
 */
export type HaConnectionState = 'NO_SLAVE' | 'TRANSFER' | 'READY' | 'CONNECTING' | 'DIVERGED' | 'SHUTDOWN';

export interface HaDivergence {
  atMs: number;
  reason: string;
  slaveMaxOffset: number;
  masterOffset: number;
}

export interface HaStats {
  role: BrokerRole;
  connectionState: HaConnectionState;
  /** master: the HA listen port */
  haPort?: number;
  /** master: slaves connected now */
  slaveConnections: number;
  /** master: highest offset a connected slave acked (push2SlaveMaxOffset); -1 when none */
  slaveAckOffset: number;
  /** master: highest offset shipped to a slave; -1 when none */
  pushedOffset: number;
  lagBytes: number;
  lagMessages: number;
  /** age of the oldest record not yet acked by a slave */
  lagMs: number;
  /** slave: where it connects (haMasterAddress) */
  masterAddress?: string;
  /** slave: the master offset of the last frame received */
  masterPhyOffset?: number;
  divergence?: HaDivergence;
  badFrames: number;
  lastBadFrame?: string;
  /** the offset this broker had when it was promoted from slave (the common prefix for the old master) */
  promotedAtOffset?: number;
  /** controller mode: what the controller last told this replica, and its SyncStateSet as master */
  controller?: { role: 'FENCED' | 'MASTER' | 'SLAVE'; masterEpoch: number; masterBrokerId: number; syncStateSet: number[]; syncStateSetEpoch: number; confirmOffset: number; lastEpoch: number };
}

export interface HaListeners {
  /** a slave's ack advanced to `ackOffset`; `messages` records left the lag with it */
  replicated?(ackOffset: number, messages: number): void;
  haEvent?(event: HaEvent): void;
}
