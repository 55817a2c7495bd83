/**
 * The crash-drill contract, shared by server/ and app/: the catalog view, the running drill's status,
 * the loss ledger's summary, the recorded run for the replay page, and the zod schemas of every
 * drills.* input. Pure types plus zod (app/ bundles zod already); nothing here imports server code at
 * runtime, so app/ may `import type` (or import the schemas) from this file.
 */
import { z } from 'zod';
import { ACK_MODES, type AckMode } from '../../broker/client/ack-mode';
import { SEND_MODES, type SendMode } from '../../broker/client/send-mode';
import { BrokerSettingsPatchSchema, type BrokerSettings, type BrokerSettingsPatch } from '../../broker/config/broker-config';
import { OUTCOME_STATUSES, type LiveSample, type OutcomeStatus } from '../live/live-sample';
import { labBugSchema, type LabBug, type LabBugProcess } from '../../broker/lab-bugs';
import type { LedgerStage } from '../ledger/message-stages';
import type { Topology } from '../cluster/topology';
import { DRILL_TRAFFIC_LIMITS } from './limits';

// ---- identities ----

export const DRILL_IDS = [
  'process-crash',
  'power-loss',
  'master-disk-loss',
  'slave-down',
  'partition-master-slave',
  'slow-disk',
  'consumer-crash',
  'producer-crash',
  'producer-network-flap',
  'transaction-crash',
  'power-loss-slow-disk',
  'group-loss',
  'controller-failover',
  'unclean-election',
  'isolated-master',
  'master-controller-crash',
] as const;
export type DrillId = (typeof DRILL_IDS)[number];

/**
 * The phases of one run, in order; a run ends in 'done' (judged) or 'failed' (with a reason; a
 * cancelled run also ends 'failed', its record status says 'cancelled'). 'recovering' lasts from the
 * start of the recovery to the end of the traffic (the message says when recovery finished); a drill
 * without a fault goes from 'traffic' to 'draining'.
 */
export const DRILL_PHASES = ['starting', 'traffic', 'fault', 'recovering', 'draining', 'judging', 'done', 'failed'] as const;
export type DrillPhase = (typeof DRILL_PHASES)[number];

/**
 * PASS: what was observed matches the prediction and no guarantee was broken (e.g. SYNC_FLUSH power
 * loss: zero SEND_OK lost). LOSS_EXPECTED: messages were lost and the settings predicted it (ASYNC_FLUSH
 * power loss, before-processing ack + consumer crash). FAIL: a guarantee the settings promise was broken
 * (a SEND_OK message lost where none may be, a message consumed that was never sent).
 */
export const VERDICTS = ['PASS', 'LOSS_EXPECTED', 'FAIL'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** A run's record status: running, judged (done), failed (with error), cancelled (by drills.cancel). */
export type DrillRunStatus = 'running' | 'done' | 'failed' | 'cancelled';

/**
 * What the producer was told about one message. UNKNOWN: the message reached the broker or a consumer
 * but the producer never reported an outcome (it died with the send in flight: producer-crash).
 */
export type LedgerStatus = OutcomeStatus | 'UNKNOWN';
export const LEDGER_STATUSES: readonly LedgerStatus[] = [...OUTCOME_STATUSES, 'UNKNOWN'];

/** The furthest stage a message reached (the one stage vocabulary, server/ledger/message-stages.ts). */
export { LEDGER_STAGES, type LedgerStage } from '../ledger/message-stages';

export type AnomalyKind = 'lost' | 'duplicated' | 'unexpected' | 'gap';

// ---- capabilities ----

export type DrillCapability =
  | 'broker'          // the master broker process (kill, restart)
  | 'power-loss'      // the broker's power-cut hook (truncate to fdatasync'd lengths, SIGKILL itself)
  | 'slave'           // the slave broker process
  | 'promotion'       // promoting the slave to master (broker-group.ts)
  | 'ha-link-fault'   // the fault proxy on the HA link (blackhole, reset, latency)
  | 'slow-disk'       // slowDiskDelayMs in the store's file layer
  | 'consumers'       // the consumer fleet (killable processes)
  | 'traffic-runner'  // the producer process (killable)
  | 'producer-link-fault' // a fault proxy between the producer and the broker port
  | 'transaction-producer' // a transaction producer in a killable runner (half message → commit)
  | 'controller';       // controller mode's controller process (the drill switches enableControllerMode on for its run)

export interface CapabilityView {
  id: DrillCapability;
  label: string;
  available: boolean;
  /** why it is not available now (e.g. "no slave is running: start one on the overview page") */
  reason?: string;
}

// ---- settings a run is judged under ----

export interface DrillTrafficSettings {
  sendMode: SendMode;
  ackMode: AckMode;
  idempotent: boolean;
  rate: number;
  durationSec: number;
  consumers: number;
  bodySize: number;
}

/** Everything a run ran under: the broker settings of the moment plus the traffic it started. */
export interface DrillRunSettings {
  broker: BrokerSettings;
  traffic: DrillTrafficSettings;
  /** a slave was running when the drill started */
  slaveRunning: boolean;
}

// ---- prediction ----

export interface DrillPrediction {
  /** plain words, e.g. "ASYNC_FLUSH + power loss: SEND_OK messages in the unflushed window (…) may be lost" */
  text: string;
  /** may a message the producer saw SEND_OK for be lost under these settings? */
  sendOkLossPossible: boolean;
  /** statuses whose messages may be lost without breaking a guarantee (besides SEND_OK when allowed) */
  mayLose: LedgerStatus[];
  /** statuses the fault is expected to produce (e.g. FLUSH_SLAVE_TIMEOUT for the partition) */
  expectedStatuses: LedgerStatus[];
  /** redeliveries may show up as duplicates (at-least-once) */
  duplicatesPossible: boolean;
  /**
   * transactional drills: may the broker discard a dead producer's half messages unresolved (its
   * check-backs run out, transactionCheckMax, before anyone answers)? Absent: it may not.
   */
  unresolvedHalvesPossible?: boolean;
}

// ---- contrast: each drill's safe and unsafe configuration ----

/** One side of a drill's contrast: the broker settings and traffic a run of that side takes. */
export interface DrillContrastSide {
  /** a short name for the side, e.g. "SYNC_FLUSH" or "ack before processing" */
  label: string;
  /** broker settings for the run (applied for it, restored after it) */
  broker?: BrokerSettingsPatch;
  /** traffic settings for the run */
  traffic?: { sendMode?: SendMode; ackMode?: AckMode; idempotent?: boolean };
}

/**
 * What a drill teaches by running it twice: the safe configuration and the unsafe one, and how the
 * ledger tells them apart.
 *  - 'lost': the unsafe side loses messages its producer believed sent (SEND_OK, or UNCHECKED for a
 *    producer that never checks), the safe side loses none.
 *  - 'told': neither side loses a message (the fault takes nothing away by itself); the safe side
 *    tells the producer the guarantee is missing (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT,
 *    SLAVE_NOT_AVAILABLE) where the unsafe side answers SEND_OK without it.
 */
export interface DrillContrast {
  /** one sentence: safe vs unsafe and why */
  teaches: string;
  measure: 'lost' | 'told';
  safe: DrillContrastSide;
  unsafe: DrillContrastSide;
}

/** A shaped network link (the fault proxy's latency, jitter and bandwidth), e.g. a slave in another zone. */
export interface LinkShape {
  /** one-way added latency, ms */
  latencyMs: number;
  /** up to this much more, ms, drawn per chunk (order is kept) */
  jitterMs: number;
  /** bytes per second each way; 0 = unlimited */
  bandwidthBytesPerSec: number;

  /** in words, for the plan and the timeline: "a cross-zone slave: 5 ms ± 3 ms, 2 MiB/s" */
  label: string;
}

// ---- catalog ----

export interface DrillTiming {
  /** the default run length (traffic), seconds */
  durationSec: number;
  /** default producer rate, msg/s */
  rate: number;
  /** when the fault starts, as a share of the duration (0..1) */
  faultAt: number;
  /** how long the fault lasts before recovery, seconds (0 = instant fault, then recovery) */
  faultForSec: number;
}

/** What a drill says about itself: the catalog's spec and the dashboard's view of it share these. */
export interface DrillDescription {
  id: DrillId;
  title: string;
  /** what the drill does, step by step in one or two sentences */
  does: string;
  /** what it proves (the guarantee under test) */
  proves: string;
  /** the fault, as done (docs/fault-model.md) */
  fault: string;
  /** how the cluster is recovered */
  recovery: string;
  timing: DrillTiming;
  /** which settings change the outcome (keys of BrokerSettings or traffic: sendMode, ackMode, idempotent) */
  relevantSettings: string[];
  /** the cluster's shape the drill runs on; absent: one group of master + slave (server/cluster/topology.ts) */
  topology?: Topology;
}

export interface DrillSpecView extends DrillDescription {
  capabilities: CapabilityView[];
  /** every capability is available (and no other drill runs) */
  runnable: boolean;
  /** when not runnable: which capability it waits for, in words */
  waitingFor?: string;
  /** the prediction for the CURRENT settings (and the default traffic of the drill) */
  prediction: DrillPrediction;
  /** the deliberate bugs a run may switch on (broker/lab-bugs.ts), those this drill catches first */
  labBugs: LabBugView[];
  /** the deterministic simulator runs this drill too (server/sim/) */
  simulated: boolean;
}

/** One deliberate bug as the Drills page offers it. */
export interface LabBugView {
  name: LabBug;
  process: LabBugProcess;
  /** one line: what it does wrong */
  breaks: string;
  /** the drill that catches it (its safe configuration judges a run with it FAIL) */
  caughtBy: string;
}

// ---- the ledger ----

/** Live counts while a drill runs. */
export interface LedgerCounts {
  attempted: number;
  byStatus: Record<LedgerStatus, number>;
  stored: number;
  delivered: number;
  consumed: number;
  duplicated: number;
  unexpected: number;
}

export interface SequenceGapView {
  producerId: string;
  queue: string;
  /** missing numbers (first 50) and how many in all */
  missing: number[];
  missingCount: number;
}

export interface RecoveryView {
  /** the fault's start, ms since the run's start */
  faultAtT: number | null;
  /** the first send after the fault that did not come back SEND_OK, ms since the run's start */
  firstFailureT: number | null;
  /** the first SEND_OK after that failure, ms since the run's start */
  firstOkAfterT: number | null;
  /** recovery time (RTO): firstOkAfterT − firstFailureT; null when no send failed, or none succeeded after */
  rtoMs: number | null;
  /** sends after the fault that did not come back SEND_OK */
  failedSends: number;
}

export interface LedgerSummary {
  attempted: number;
  /** a count per status the producer saw (UNKNOWN: no outcome, but the broker or a consumer saw it) */
  acknowledged: Record<LedgerStatus, number>;
  /** distinct messages applied (consumed ∪ duplicate-suppressed) */
  consumed: number;
  /** distinct messages delivered to a listener */
  delivered: number;
  /** distinct messages the broker stored (stage batches) */
  stored: number;
  /** never applied, by the status the producer saw */
  lost: Record<LedgerStatus, number>;
  lostTotal: number;
  /** the headline: SEND_OK messages never consumed */
  lostAcked: number;
  /** lost messages by the last stage they reached */
  lostByStage: Record<LedgerStage, number>;
  /** messages applied more than once (the business effect happened twice) */
  duplicated: number;
  /** deliveries beyond the first, suppressed or not */
  redeliveries: number;
  duplicatesSuppressed: number;
  /** consumed but never sent by this run's producers */
  unexpected: number;
  /** sequence gaps per producer and queue still open at the end (numbers never consumed) */
  gaps: number;
  gapStreams: SequenceGapView[];
  recovery: RecoveryView;
  /** the broker's durable watermarks as last reported */
  flushedOffset: number | null;
  replicatedOffset: number | null;
  /** the broker's report of a power cut, if one happened */
  powerCut: { lostBytes: number; flushedOffset: number; maxOffset: number } | null;
  /** the producer's error messages, grouped (at most 10 distinct), for failed sends with or without an id */
  errors: { status: LedgerStatus; error: string; count: number }[];
  /**
   * transactional runs only: decisions (committed, rolledBack), rolled-back messages a consumer got
   * (each one a broken guarantee), half messages whose producer died before ending them (halfOpen) and
   * how many of those a check-back resolved, messages with no decision known at the end (openAtEnd),
   * check-backs answered by the run's producers
   */
  transactions?: { committed: number; rolledBack: number; rolledBackDelivered: number; halfOpen: number; halfOpenResolved: number; openAtEnd: number; checksAnswered: number };
  /** per-message anomaly rows: how many there were, how many were recorded (capped) */
  anomalies: { total: number; recorded: number; capped: boolean; cap: number };
  /** a long run: messages settled (applied, answered, quiet) that the ledger folded into its counts, in bounded memory */
  folded?: number;
}

// ---- status of the running drill ----

export interface DrillStatus {
  runId: string;
  drillId: DrillId;
  title: string;
  phase: DrillPhase;
  /** 0..1 over the whole run */
  progress: number;
  /** the phase in words: "SIGKILL sent to the master; restarting it" */
  message: string;
  startedAt: number;
  elapsedMs: number;
  settings: DrillRunSettings;
  prediction: DrillPrediction;
  counts: LedgerCounts;
  cancelRequested: boolean;
  /** the run's seed (its plan: fault timing, the killed consumer, flap bursts, bodies, transaction decisions) */
  seed: number;
  /** the run this one re-runs, if it is a re-run */
  rerunOf?: string;
  /** the deliberate bug this run runs with (broker/lab-bugs.ts), if any */
  labBug?: LabBug;
}

// ---- recorded runs ----

export interface DrillRunView {
  runId: string;
  drillId: DrillId;
  title: string;
  status: DrillRunStatus;
  verdict: Verdict | null;
  /** one sentence: why that verdict */
  verdictReason: string | null;
  settings: DrillRunSettings;
  input: DrillRunInput;
  prediction: DrillPrediction | null;
  summary: LedgerSummary | null;
  startedAt: number;
  endedAt: number | null;
  error: string | null;
  /** the cluster it ran against when not the embedded one (the External page's runs) */
  target: DrillTarget | null;
}

/** A cluster Zeroloss did not start: its name servers and the fault executor that broke it. */
export interface DrillTarget {
  kind: 'external';
  namesrv: string;
  executor: string;
}

export type DrillEventKind =
  | 'phase'
  | 'fault.start'
  | 'fault.end'
  | 'process'
  | 'setting'
  | 'traffic'
  | 'consumers'
  | 'recovery'
  | 'verdict'
  | 'error'
  | 'note';

export interface DrillTimelineEvent {
  /** ms since the run's start */
  t: number;
  kind: DrillEventKind;
  message: string;
  detail: unknown;
}

export interface DrillSampleView {
  /** ms since the run's start */
  t: number;
  sample: LiveSample;
}

export interface DrillAnomalyView {
  messageId: string;
  kind: AnomalyKind;
  sendStatus: LedgerStatus | null;
  lastStage: LedgerStage | null;
  detail: unknown;
}

/** A shaded window on the replay charts: from the fault's start to its end (or recovery). */
export interface FaultWindow {
  fromT: number;
  toT: number | null;
  label: string;
}

export interface DrillRunDetail extends DrillRunView {
  /** runs that re-ran this one (newest first), for the links on the replay page */
  reruns: { runId: string; status: DrillRunStatus; verdict: Verdict | null; startedAt: number }[];
  events: DrillTimelineEvent[];
  samples: DrillSampleView[];
  faultWindows: FaultWindow[];
  anomalies: DrillAnomalyView[];
}

// ---- inputs ----

const LIMITS = DRILL_TRAFFIC_LIMITS;
const topicSafe = /^[a-zA-Z0-9_-]{1,64}$/;
/** The form of a run id, as drills.run returns it and drills.get accepts it (the app's /drills/[runId] page checks it too). */
export const RUN_ID_PATTERN = /^[a-z0-9]{6,40}$/;

export const DrillRunInputSchema = z.object({
  drillId: z.enum(DRILL_IDS, { error: `drillId must be one of ${DRILL_IDS.join(', ')}` }),
  durationSec: z.number({ error: 'durationSec must be a number of seconds' }).int('durationSec must be a whole number of seconds')
    .min(LIMITS.durationSec.min, `durationSec must be at least ${LIMITS.durationSec.min} s`).max(LIMITS.durationSec.max, `durationSec must be at most ${LIMITS.durationSec.max} s (an hour)`).optional(),
  rate: z.number({ error: 'rate must be a number of messages per second' }).int('rate must be a whole number of messages per second')
    .min(LIMITS.rate.min, `rate must be at least ${LIMITS.rate.min} msg/s`).max(LIMITS.rate.max, `rate must be at most ${LIMITS.rate.max} msg/s`).optional(),
  sendMode: z.enum(SEND_MODES, { error: `sendMode must be ${SEND_MODES.join(', ')}` }).optional(),
  ackMode: z.enum(ACK_MODES, { error: `ackMode must be ${ACK_MODES.join(' or ')}` }).optional(),
  idempotent: z.boolean({ error: 'idempotent must be true or false' }).optional(),
  consumers: z.number({ error: 'consumers must be a number of consumer processes' }).int('consumers must be a whole number')
    .min(LIMITS.consumers.min, `consumers must be at least ${LIMITS.consumers.min}`).max(LIMITS.consumers.max, `consumers must be at most ${LIMITS.consumers.max}`).optional(),
  /** a label carried into the record (e.g. the run this one re-runs) */
  label: z.string().regex(topicSafe, 'label must be 1-64 characters of letters, digits, _ or -').optional(),
  /**
   * decides everything random in the run (fault timing jitter, which consumer is killed, the flap
   * bursts, message bodies, transaction decisions); absent → a fresh one, recorded with the run
   */
  seed: z.number({ error: 'seed must be a number' }).int('seed must be a whole number').min(0, 'seed must not be negative')
    .max(0xffff_ffff, 'seed must be at most 4294967295 (32 bits)').optional(),
  /** broker settings the run runs under (applied for the run, restored after it): a re-run's configuration */
  broker: BrokerSettingsPatchSchema.optional(),
  /** the run this one re-runs (same drill, seed and timing, other settings) */
  rerunOf: z.string().regex(RUN_ID_PATTERN, 'rerunOf must be a run id').optional(),
  /**
   * a deliberate bug (broker/lab-bugs.ts) the affected nodes and runners run with for this run only;
   * the run is judged like any other, and its record and verdict name the bug
   */
  labBug: labBugSchema('labBug').optional(),
}).strict();
export type DrillRunInput = z.infer<typeof DrillRunInputSchema>;

export const DrillHistoryInputSchema = z.object({
  limit: z.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(200, 'limit must be at most 200').default(20),
  drillId: z.enum(DRILL_IDS, { error: `drillId must be one of ${DRILL_IDS.join(', ')}` }).optional(),
  verdict: z.enum(VERDICTS, { error: 'verdict must be PASS, LOSS_EXPECTED or FAIL' }).optional(),
}).strict();
export type DrillHistoryInput = z.infer<typeof DrillHistoryInputSchema>;

export const DrillGetInputSchema = z.object({
  runId: z.string({ error: 'runId must be a string' }).regex(RUN_ID_PATTERN, 'runId must be 6-40 lowercase letters or digits (as drills.run returned it)'),
  /** cap the anomaly rows returned (the record keeps up to 5000 per run) */
  anomalyLimit: z.number({ error: 'anomalyLimit must be a number' }).int('anomalyLimit must be a whole number').min(0, 'anomalyLimit must not be negative').max(5000, 'anomalyLimit must be at most 5000').default(1000),
}).strict();
export type DrillGetInput = z.infer<typeof DrillGetInputSchema>;

/** The settings a re-run may change; everything else (seed, timing, the other broker settings) is the original run's. */
export const DrillRerunInputSchema = z.object({
  runId: z.string({ error: 'runId must be a string' }).regex(RUN_ID_PATTERN, 'runId must be 6-40 lowercase letters or digits (as drills.run returned it)'),
  flushDiskType: z.enum(['SYNC_FLUSH', 'ASYNC_FLUSH'], { error: 'flushDiskType must be SYNC_FLUSH or ASYNC_FLUSH' }).optional(),
  brokerRole: z.enum(['SYNC_MASTER', 'ASYNC_MASTER'], { error: 'brokerRole must be SYNC_MASTER or ASYNC_MASTER' }).optional(),
  sendMode: z.enum(SEND_MODES, { error: `sendMode must be ${SEND_MODES.join(', ')}` }).optional(),
  ackMode: z.enum(ACK_MODES, { error: `ackMode must be ${ACK_MODES.join(' or ')}` }).optional(),
  idempotent: z.boolean({ error: 'idempotent must be true or false' }).optional(),
}).strict();
export type DrillRerunInput = z.infer<typeof DrillRerunInputSchema>;

export const DrillCancelInputSchema = z.object({
  runId: z.string({ error: 'runId must be a string' }).regex(RUN_ID_PATTERN, 'runId must be 6-40 lowercase letters or digits').optional(),
}).strict().default({});

/** drills.run's answer */
export interface DrillRunStarted {
  runId: string;
  drillId: DrillId;
}

/** Per-run anomaly rows kept in the record. */
export const ANOMALY_CAP = 5000;
