/**
 * The IPC contract between the drill runner and the transaction runner (transaction-runner-main.ts).
 */
import type { FatalReport, SendOutcome } from '../../broker/ipc.js';

export interface TransactionRunnerConfig {
  namesrvAddr: string;
  topic: string;
  /** one group across the run's runners: a later runner answers the check-backs of an earlier one's half messages */
  producerGroup: string;
  /** "tx<ordinal>-<runId>": the ordinal enters the seeded decisions */
  producerId: string;
  /** transactions per second */
  rate: number;
  bodySize: number;
  seed: number;
  /** the local transaction's work between the half message and END_TRANSACTION */
  localTransactionMs: number;
  sendMsgTimeout: number;
}

export type TransactionEvent =
  /** the half message's send came back (status SEND_OK: the local transaction runs now) or failed */
  | { kind: 'half'; id: string; queueId: number; seq: number; queue: string; status: SendOutcome['status']; decision?: 'COMMIT' | 'ROLLBACK'; error?: string; sentAtMs: number; latencyMs: number }
  /** the local transaction finished and END_TRANSACTION was sent with its decision */
  | { kind: 'ended'; id: string; decision: 'COMMIT' | 'ROLLBACK'; atMs: number }
  /** a check-back from the broker was answered (for a half message of any runner of the group) */
  | { kind: 'checked'; id: string; producerId: string; decision: 'COMMIT' | 'ROLLBACK'; atMs: number };

export type TransactionRunnerToParent =
  | { type: 'ready'; pid: number }
  | { type: 'events'; events: TransactionEvent[] }
  | { type: 'done'; attempted: number }
  | FatalReport;

/** pause: send no new transactions, keep answering check-backs (while the drill drains); stop: end the process */
export type ParentToTransactionRunner = { type: 'stop' } | { type: 'pause' };
