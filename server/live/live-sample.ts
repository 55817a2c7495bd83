/**
 * One point of the live charts and the send statuses it counts: what both the live stream
 * (server/live/types.ts) and a recorded drill run (server/drills/types.ts) carry. Shared by server/
 * and app/, so it imports types only.
 */
import type { SendOutcome } from '../../broker/ipc';

export type OutcomeStatus = SendOutcome['status'];
export const OUTCOME_STATUSES: readonly OutcomeStatus[] = ['SEND_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', 'ERROR', 'TIMEOUT', 'UNCHECKED'];

/** how often the control plane takes a sample */
export const SAMPLE_INTERVAL_MS = 250;
/** the window each sample's rates are measured over */
export const RATE_WINDOW_MS = 1000;

/** One point of the live charts, taken every SAMPLE_INTERVAL_MS over the last RATE_WINDOW_MS. */
export interface LiveSample {
  t: number;
  sentPerSec: number;
  storedPerSec: number;
  /** consumer side: messages handed to a listener, and applied (the business effect) */
  deliveredPerSec: number;
  consumedPerSec: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** outcomes per status in the last window */
  statusPerSec: Record<OutcomeStatus, number>;
  maxPhyOffset: number;
  flushedPhyOffset: number;
  unflushedBytes: number;
  /** the master's replication lag behind its best slave; null when no replication runs */
  replicationLagBytes: number | null;
  replicationLagMessages: number | null;
  /** age of the oldest message no slave has acked */
  replicationLagMs: number | null;
}
