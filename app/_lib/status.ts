/**
 * Client-side constants for SendStatus and process states: names, colours, one-line meanings. Kept
 * here (not imported at runtime from server/) so no server code reaches the browser bundle.
 */
import type { OutcomeStatus } from '@/server/live/types';
import type { LiveState } from '@/server/live/types';

export type ProcessState = LiveState['broker']['state'];

/** The one list, from the live stream's contract. */
export { OUTCOME_STATUSES } from '@/server/live/types';

/** One colour per SendStatus, the same in every chart and counter: OK green, timeouts amber, errors red. */
export const STATUS_COLOR: Record<OutcomeStatus, string> = {
  SEND_OK: '#16a34a',
  FLUSH_DISK_TIMEOUT: '#f59e0b',
  FLUSH_SLAVE_TIMEOUT: '#d97706',
  SLAVE_NOT_AVAILABLE: '#eab308',
  TIMEOUT: '#b45309',
  ERROR: '#dc2626',
  UNCHECKED: '#94a3b8',
};

export const STATUS_MEANING: Record<OutcomeStatus, string> = {
  SEND_OK: 'stored as the flush and replication settings promise',
  FLUSH_DISK_TIMEOUT: 'stored, but the fdatasync did not finish within syncFlushTimeout',
  FLUSH_SLAVE_TIMEOUT: 'stored on the master, the slave did not confirm within slaveTimeout',
  SLAVE_NOT_AVAILABLE: 'stored on the master, no slave in sync',
  ERROR: 'the send failed: the broker refused it or the connection broke',
  TIMEOUT: 'no answer within sendMsgTimeout: the producer does not know',
  UNCHECKED: 'oneway or async-unchecked send: the answer is never read, so a failure goes unnoticed',
};

export const PROCESS_STATES: readonly ProcessState[] = ['starting', 'running', 'stopping', 'stopped', 'crashed'];

/** Tailwind classes of the state badge. */
export const STATE_BADGE: Record<ProcessState, string> = {
  starting: 'bg-sky-100 text-sky-800 ring-sky-300 dark:bg-sky-950 dark:text-sky-200 dark:ring-sky-800',
  running: 'bg-emerald-100 text-emerald-800 ring-emerald-300 dark:bg-emerald-950 dark:text-emerald-200 dark:ring-emerald-800',
  stopping: 'bg-amber-100 text-amber-800 ring-amber-300 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-800',
  stopped: 'bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-600',
  crashed: 'bg-red-100 text-red-800 ring-red-300 dark:bg-red-950 dark:text-red-200 dark:ring-red-800',
};

export const STATE_DOT: Record<ProcessState, string> = {
  starting: 'bg-sky-500 animate-pulse',
  running: 'bg-emerald-500',
  stopping: 'bg-amber-500 animate-pulse',
  stopped: 'bg-slate-400',
  crashed: 'bg-red-500',
};
