/**
 * The drill catalog: each drill is data (its workload, its fault and when, its recovery, the
 * capabilities it needs) plus a prediction, a pure function of the settings it runs under. The runner
 * (drill-runner.ts) interprets the fault and recovery steps; the ledger (loss-ledger.ts) and judge()
 * compare what happened with the prediction. Faults follow docs/fault-model.md.
 */
import type { DrillCapability, DrillContrast, DrillDescription, DrillId, DrillPrediction, DrillRunSettings, DrillTiming, LedgerStatus, LinkShape } from './types';

export type FaultStep =
  | { kind: 'kill-master' }
  | { kind: 'power-loss' }
  | { kind: 'master-disk-loss' }
  /** group `group`'s master (broker-b is 1) SIGKILLed with its store deleted and its HA link cut; nobody is promoted (classic mode) */
  | { kind: 'group-master-disk-loss'; group: number }
  | { kind: 'kill-slave' }
  | { kind: 'blackhole-ha-link' }
  | { kind: 'slow-disk'; marginMs: number }
  /** slowDiskDelayMs = syncFlushTimeout + marginMs for slowForMs, then the power cut while the disk is slow (the disk comes back healthy) */
  /** pauseConsumers: the consumers are frozen (SIGSTOP) at the cut, until a resume-consumers recovery step */
  | { kind: 'slow-disk-power-loss'; marginMs: number; slowForMs: number; pauseConsumers?: boolean }
  /** the consumer the run's plan picks (seeded) */
  | { kind: 'kill-consumer' }
  | { kind: 'kill-producer' }
  /** drop and reset bursts on the producer's link (the client-port fault proxy), as the run's plan lays them out */
  | { kind: 'flap-producer-link' }
  | { kind: 'kill-transaction-producer' }
  /** controller mode: SIGKILL whichever replica the controller made master of broker-a, then wait for the election of another */
  | { kind: 'kill-elected-master' }
  /** controller mode: SIGKILL the slave of broker-a with the highest id (it leaves the SyncStateSet at once) */
  | { kind: 'kill-slave-replica' }
  /** controller mode: the machines of broker-a's master and of every slave still running crash together (SIGKILL, HA ports reset) */
  | { kind: 'crash-in-sync-replicas' }
  /** controller mode: cut broker-a's master from the other replicas and the controller (not from its clients), then wait for the election of another */
  | { kind: 'isolate-elected-master' }
  /** controller mode: the power fails on broker-a's master's machine (HA port reset) and the controller is SIGKILLed at the same moment */
  | { kind: 'crash-master-and-controller' };

export type RecoveryStep =
  | { kind: 'restart-master' }
  | { kind: 'promote-slave' }
  | { kind: 'restart-slave' }
  | { kind: 'heal-ha-link' }
  | { kind: 'restore-disk' }
  | { kind: 'restart-consumer' }
  | { kind: 'restart-producer' }
  | { kind: 'heal-producer-link' }
  /** a new transaction producer of the same group: it sends on and answers the broker's check-backs */
  | { kind: 'restart-transaction-producer' }
  /** thaws the consumers a fault froze, afterMs after the steps before it (the traffic refills the queues meanwhile) */
  | { kind: 'resume-consumers'; afterMs: number }
  /** controller mode: start the replica the fault killed; the controller makes it a slave of the new master (it cuts what it alone held) */
  | { kind: 'rejoin-old-master' }
  /** controller mode: start the replica kill-slave-replica killed, alone, and give the controller time to elect it or not */
  | { kind: 'restart-lagging-replica' }
  /** controller mode: start every replica crash-in-sync-replicas killed; wait until the group has a master and they follow it */
  | { kind: 'restart-crashed-replicas' }
  /** controller mode: heal the isolated master's links; wait until it follows the new master (cut to the common point) */
  | { kind: 'heal-isolated-master' }
  /** controller mode: start the crashed master, then the controller; wait until the group has a master and every replica follows it */
  | { kind: 'restart-master-then-controller' };

export interface DrillSpec extends DrillDescription {
  needs: DrillCapability[];
  /**
   * the workload: consumers and their simulated work per message. consumersStart 'after-recovery'
   * attaches the consumers only once the cluster is recovered, so they read what the broker kept
   * (a durability drill) rather than what they had already taken from the page cache before the fault.
   */
  workload: {
    consumers: number; processingMs: number; bodySize: number; consumersStart?: 'before' | 'after-recovery';
    /** plain: the traffic runner; transactional: the transaction runner (half message, local transaction, commit or rollback) */
    producer?: 'plain' | 'transactional';
  };
  /** broker settings the drill itself needs for its run (applied, then restored), e.g. a short transaction check interval */
  brokerPatch?: Partial<DrillRunSettings['broker']>;
  inject?: FaultStep;
  /**
   * a second fault that cashes in the first: injected afterMs after it, while the first still holds
   * (the slave still down, the link still cut, the disk still slow); the recovery follows when the
   * fault's time (timing.faultForSec from the first fault) is up. `fault` names it on the timeline.
   */
  then?: { afterMs: number; inject: FaultStep; fault: string };
  /** one recovery step, or several run in order */
  recover?: RecoveryStep | RecoveryStep[];
  /** set when the drill cannot run properly yet: which capability it waits for */
  waitingFor?: string;
  predict(s: DrillRunSettings): DrillPrediction;
  /** what the drill teaches by its safe and its unsafe configuration (`npm run drill:matrix` runs both) */
  contrast: DrillContrast;
  /**
   * the replication link's shape for the whole run (the fault proxy on the HA link, from before the
   * traffic to the end): a slave is not on the master's loopback, and a link with no distance has no
   * replication lag for an ASYNC_MASTER to lose
   */
  haLink?: LinkShape;
  /** the producer's link to the broker (the client-port fault proxy; the drill must need 'producer-link-fault') for the whole run */
  clientLink?: LinkShape;
}

const KiB = 1024;
/** RocketMQ record overhead beside body and properties, roughly */
const RECORD_OVERHEAD = 200;

function prediction(text: string, p: Partial<Omit<DrillPrediction, 'text'>> = {}): DrillPrediction {
  return {
    text,
    sendOkLossPossible: p.sendOkLossPossible ?? false,
    mayLose: p.mayLose ?? [],
    expectedStatuses: p.expectedStatuses ?? [],
    duplicatesPossible: p.duplicatesPossible ?? true,
    ...(p.unresolvedHalvesPossible ? { unresolvedHalvesPossible: true } : {}),
  };
}

/** A send mode whose failures nobody checks: its messages may always be lost. */
function uncheckedNote(s: DrillRunSettings): { note: string; mayLose: LedgerStatus[] } {
  const unchecked = s.traffic.sendMode === 'async-unchecked' || s.traffic.sendMode === 'oneway';
  return unchecked
    ? { note: ` ${s.traffic.sendMode} sends are never checked: those messages (UNCHECKED) may be lost without anyone noticing.`, mayLose: ['UNCHECKED'] }
    : { note: '', mayLose: [] };
}

/** The replication contrast: SYNC_MASTER against ASYNC_MASTER, both with checked sync sends. */
const SYNC_VS_ASYNC_MASTER = {
  safe: { label: 'SYNC_MASTER', broker: { brokerRole: 'SYNC_MASTER' }, traffic: { sendMode: 'sync' } },
  unsafe: { label: 'ASYNC_MASTER', broker: { brokerRole: 'ASYNC_MASTER' }, traffic: { sendMode: 'sync' } },
} as const satisfies Pick<DrillContrast, 'safe' | 'unsafe'>;

/**
 * A master's disk lost with its slave kept: under SYNC_MASTER no SEND_OK is lost (only what the slave
 * did not confirm may be), under ASYNC_MASTER the replication lag is. `words` says it for the drill.
 */
function masterLossPrediction(s: DrillRunSettings, words: { sync: string; async: string }, expectedStatuses: LedgerStatus[]): DrillPrediction {
  const u = uncheckedNote(s);
  if (s.broker.brokerRole === 'SYNC_MASTER') {
    return prediction(`${words.sync}${u.note}`, { mayLose: ['FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', 'FLUSH_DISK_TIMEOUT', ...u.mayLose], expectedStatuses });
  }
  return prediction(`${words.async}${u.note}`, { sendOkLossPossible: true, mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', ...u.mayLose], expectedStatuses });
}

/** How long unflushed data may sit in the page cache under ASYNC_FLUSH at this rate. */
export function unflushedWindow(s: DrillRunSettings): { windowMs: number; words: string } {
  const b = s.broker;
  const bytesPerSec = Math.max(1, s.traffic.rate * (s.traffic.bodySize + RECORD_OVERHEAD));
  const leastBytes = b.flushCommitLogLeastPages * 4 * KiB;
  const fillMs = (leastBytes / bytesPerSec) * 1000;
  const windowMs = Math.min(b.flushCommitLogThoroughInterval, Math.max(b.flushIntervalCommitLog, fillMs));
  const words = fillMs > b.flushIntervalCommitLog
    ? `up to ${Math.round(windowMs)} ms: flushCommitLogLeastPages ${b.flushCommitLogLeastPages} (${Math.round(leastBytes / KiB)} KiB) take ~${Math.round(fillMs)} ms to fill at ${s.traffic.rate} msg/s, capped by flushCommitLogThoroughInterval ${b.flushCommitLogThoroughInterval} ms`
    : `up to flushIntervalCommitLog ${b.flushIntervalCommitLog} ms (${b.flushCommitLogLeastPages} dirty pages fill faster than that at ${s.traffic.rate} msg/s)`;
  return { windowMs, words };
}

/**
 * The replication link of the drills that involve the slave: a slave in another region, 20 ms each
 * way plus up to 10 ms of jitter, on a link capped at 1 MiB/s (a shared inter-site link, not a
 * loopback). Under ASYNC_MASTER a SEND_OK is answered while its bytes are still on this link, so a
 * lost master takes them along (at 200 msg/s about 5 messages in flight); under SYNC_MASTER the answer
 * waits for the slave's ack to come back over it (a round trip of 40-60 ms per send). On loopback the
 * lag is well under a millisecond and ASYNC_MASTER looks as safe as SYNC_MASTER.
 */
export const REMOTE_SLAVE_HA_LINK: LinkShape = { latencyMs: 20, jitterMs: 10, bandwidthBytesPerSec: 1024 * 1024, label: 'a slave in another region: 20 ms + up to 10 ms each way, 1 MiB/s' };

/**
 * A producer far from its broker: 60 ms + up to 20 ms each way on the client link. What an unchecked
 * async producer has handed over (and its application counts as sent) is still on this link when its
 * machine dies, and is lost with it; a checked producer never counted it.
 */
export const REMOTE_PRODUCER_LINK: LinkShape = { latencyMs: 60, jitterMs: 20, bandwidthBytesPerSec: 0, label: 'a producer far from the broker: 60 ms + up to 20 ms each way' };

/** The producer sees every failed send (sync, SendStatus checked) vs never looks (async, callback ignored). */
const CHECKED_SENDS = { label: 'sync sends, SendStatus checked', traffic: { sendMode: 'sync' } } as const;
const UNCHECKED_SENDS = { label: 'async-unchecked sends (callback ignored)', traffic: { sendMode: 'async-unchecked' } } as const;

/**
 * How long a dead transaction producer's half message stays answerable: the broker checks back after
 * transactionTimeOut, then every transactionCheckInterval, transactionCheckMax times, then discards it.
 */
export function transactionGiveUpMs(s: DrillRunSettings): number {
  return s.broker.transactionTimeOut + s.broker.transactionCheckMax * s.broker.transactionCheckInterval;
}
/** How long the transaction drill's producer is away: the fault's second, plus a runner's start (a Node process) with room to spare. */
const TX_PRODUCER_AWAY_MS = 1000 + 4000;

const TIMING = (durationSec: number, rate: number, faultAt: number, faultForSec: number): DrillTiming => ({ durationSec, rate, faultAt, faultForSec });
const WORKLOAD = { consumers: 2, processingMs: 2, bodySize: 256 };

/** Controller mode's timers for a drill: an election about 2 s after a master dies (RocketMQ's defaults take 10 to 15 s). */
export const CONTROLLER_LAB_TIMERS = {
  controllerHeartBeatTimeoutMills: 1500, scanNotActiveBrokerInterval: 200,
  brokerHeartbeatInterval: 200, syncBrokerMetadataPeriod: 500, checkSyncStateSetPeriod: 500, haMaxTimeSlaveNotCatchup: 3000,
} as const;

/** A drill that runs in controller mode: it switches enableControllerMode on for its run. */
export function usesControllerMode(spec: DrillSpec): boolean {
  return spec.brokerPatch?.enableControllerMode === true;
}

export const DRILLS: DrillSpec[] = [
  {
    id: 'process-crash',
    title: 'Master process crash',
    does: 'Sends and consumes steadily, SIGKILLs the master broker mid-stream, restarts it, then drains every consumer and counts.',
    proves: 'A process crash loses nothing that reached the page cache: the OS keeps it, and recovery validates the commit-log tail by CRC.',
    fault: 'SIGKILL the master broker process',
    recovery: 'restart the master; it recovers its commit log and consume queues',
    timing: TIMING(10, 200, 0.4, 1),
    relevantSettings: ['sendMode', 'retryTimesWhenSendFailed', 'sendMsgTimeout'],
    needs: ['broker', 'consumers', 'traffic-runner'],
    workload: WORKLOAD,
    inject: { kind: 'kill-master' },
    recover: { kind: 'restart-master' },
    contrast: {
      teaches: 'A process crash keeps the page cache, so no SEND_OK is lost under either flush type; what it takes is the sends that fail while the master restarts: a checked producer is told (ERROR/TIMEOUT) and can resend, an unchecked one loses them without knowing.',
      measure: 'lost',
      safe: CHECKED_SENDS,
      unsafe: UNCHECKED_SENDS,
    },
    predict: (s) => {
      const u = uncheckedNote(s);
      return prediction(
        `${s.broker.flushDiskType} + process crash: SIGKILL keeps the page cache, so no SEND_OK message is lost whatever flushDiskType says; sends during the restart fail (ERROR/TIMEOUT) and may be retried.${u.note}`,
        { mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', ...u.mayLose], expectedStatuses: ['ERROR'] },
      );
    },
  },
  {
    id: 'power-loss',
    title: 'Power loss on the master',
    does: 'Sends steadily, then the master cuts every file to its last fdatasync\'d length and SIGKILLs itself in one step (a real power cut\'s worst case); it restarts and the consumers drain.',
    proves: 'SYNC_FLUSH answers SEND_OK only after an fdatasync: nothing acknowledged is lost. ASYNC_FLUSH acknowledges from the page cache: the unflushed window is lost.',
    fault: 'power loss: truncate to the fdatasync\'d length, then SIGKILL',
    recovery: 'restart the master; recovery truncates a torn tail and rebuilds consume queues',
    timing: TIMING(10, 200, 0.5, 1),
    relevantSettings: ['flushDiskType', 'flushIntervalCommitLog', 'flushCommitLogLeastPages', 'flushCommitLogThoroughInterval', 'syncFlushTimeout', 'sendMode'],
    needs: ['broker', 'power-loss', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    inject: { kind: 'power-loss' },
    recover: { kind: 'restart-master' },
    contrast: {
      teaches: 'SYNC_FLUSH answers SEND_OK after the fdatasync, so a power cut keeps every acknowledged message; ASYNC_FLUSH answers from the page cache and the cut takes the unflushed window.',
      measure: 'lost',
      safe: { label: 'SYNC_FLUSH', broker: { flushDiskType: 'SYNC_FLUSH' }, traffic: { sendMode: 'sync' } },
      unsafe: { label: 'ASYNC_FLUSH', broker: { flushDiskType: 'ASYNC_FLUSH' }, traffic: { sendMode: 'sync' } },
    },
    predict: (s) => {
      const u = uncheckedNote(s);
      if (s.broker.flushDiskType === 'SYNC_FLUSH') {
        return prediction(
          `SYNC_FLUSH + power loss: every SEND_OK was fdatasync'd before the answer, so no SEND_OK message is lost; FLUSH_DISK_TIMEOUT ones (answered after syncFlushTimeout ${s.broker.syncFlushTimeout} ms without a flush) may be.${u.note}`,
          { mayLose: ['FLUSH_DISK_TIMEOUT', ...u.mayLose], expectedStatuses: ['ERROR'] },
        );
      }
      const w = unflushedWindow(s);
      const role = s.broker.brokerRole === 'SYNC_MASTER' ? ' SYNC_MASTER keeps a copy on the slave, but the restarted master serves its own truncated log (no failover in this drill).' : '';
      return prediction(
        `ASYNC_FLUSH + power loss: SEND_OK messages in the unflushed window (${w.words}) may be lost.${role}${u.note}`,
        { sendOkLossPossible: true, mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', ...u.mayLose], expectedStatuses: ['ERROR'] },
      );
    },
  },
  {
    id: 'master-disk-loss',
    title: 'Master disk loss, failover to the slave',
    does: 'Sends steadily with a slave replicating, SIGKILLs the master and deletes its store, promotes the slave to master; producers and consumers follow the new route.',
    proves: 'SYNC_MASTER answers SEND_OK only once the slave has the message: a lost master disk loses nothing acknowledged. ASYNC_MASTER loses the replication lag.',
    fault: 'SIGKILL the master and delete its store directory',
    recovery: 'promote the slave (it serves the group from its copy); the old master is not restarted',
    timing: TIMING(12, 200, 0.4, 1),
    relevantSettings: ['brokerRole', 'slaveTimeout', 'haMaxGapNotInSync', 'sendMode'],
    needs: ['broker', 'slave', 'promotion', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    inject: { kind: 'master-disk-loss' },
    recover: { kind: 'promote-slave' },
    contrast: {
      teaches: 'SYNC_MASTER answers SEND_OK once the slave has the message, so losing the master\'s disk loses nothing acknowledged; ASYNC_MASTER answers at once and loses what was still on the way to the slave (the replication lag of a link to a remote slave).',
      measure: 'lost',
      ...SYNC_VS_ASYNC_MASTER,
    },
    haLink: REMOTE_SLAVE_HA_LINK,
    predict: (s) => masterLossPrediction(s, {
      sync: 'SYNC_MASTER + master disk loss: every SEND_OK reached the slave first, so none is lost after the promotion; FLUSH_SLAVE_TIMEOUT and SLAVE_NOT_AVAILABLE ones (the slave did not confirm) may be.',
      async: 'ASYNC_MASTER + master disk loss: SEND_OK messages the slave had not copied yet (the replication lag at the crash) are lost.',
    }, ['ERROR']),
  },
  {
    id: 'slave-down',
    title: 'Slave down, then the master\'s disk lost',
    does: 'Sends steadily with a slave replicating, SIGKILLs the slave and keeps sending; 2 s later the master is SIGKILLed and its store deleted; the slave is restarted as it was (nothing to catch up from) and promoted, and the consumers read what it has.',
    proves: 'SYNC_MASTER refuses to claim replication it does not have: while the slave is down sends answer SLAVE_NOT_AVAILABLE or FLUSH_SLAVE_TIMEOUT, so when the master\'s disk goes too, every message the promoted slave lacks is one the producer was told was not replicated. ASYNC_MASTER answers SEND_OK for messages on one machine only, and loses them with it.',
    fault: 'SIGKILL the slave; 2 s later SIGKILL the master and delete its store directory',
    recovery: 'restart the slave as it was (its store ends at its kill) and promote it; the old master is not restarted',
    timing: TIMING(12, 100, 0.3, 4),
    relevantSettings: ['brokerRole', 'slaveTimeout', 'haMaxGapNotInSync', 'sendMode'],
    needs: ['broker', 'slave', 'promotion', 'consumers', 'traffic-runner'],
    // A durability drill: consumers that read from the master before its disk went would apply what the promoted slave lacks.
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    inject: { kind: 'kill-slave' },
    then: { afterMs: 2000, inject: { kind: 'master-disk-loss' }, fault: 'SIGKILL the master and delete its store directory while the slave is down' },
    recover: [{ kind: 'restart-slave' }, { kind: 'promote-slave' }],
    contrast: {
      teaches: 'With the slave down, SYNC_MASTER answers SLAVE_NOT_AVAILABLE / FLUSH_SLAVE_TIMEOUT and ASYNC_MASTER answers SEND_OK for messages that exist on the master only; when the master\'s disk goes next, the promoted slave lacks all of them: ASYNC_MASTER loses SEND_OK messages, SYNC_MASTER only messages whose producer was told.',
      measure: 'lost',
      ...SYNC_VS_ASYNC_MASTER,
    },
    haLink: REMOTE_SLAVE_HA_LINK,
    predict: (s) => {
      const u = uncheckedNote(s);
      if (s.broker.brokerRole === 'SYNC_MASTER') {
        return prediction(
          `SYNC_MASTER + slave down, then master disk loss: while the slave is away sends answer SLAVE_NOT_AVAILABLE (or FLUSH_SLAVE_TIMEOUT after slaveTimeout ${s.broker.slaveTimeout} ms); the promoted slave has none of them, so they may be lost, as the producer was told. Every SEND_OK reached the slave before it went down, so none is lost.${u.note}`,
          { mayLose: ['SLAVE_NOT_AVAILABLE', 'FLUSH_SLAVE_TIMEOUT', 'FLUSH_DISK_TIMEOUT', ...u.mayLose], expectedStatuses: ['SLAVE_NOT_AVAILABLE', 'FLUSH_SLAVE_TIMEOUT'] },
        );
      }
      return prediction(
        `ASYNC_MASTER + slave down, then master disk loss: producers see SEND_OK while the slave is away (replication is not waited for); those messages exist on the master only and are lost with its disk.${u.note}`,
        { sendOkLossPossible: true, mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', ...u.mayLose], expectedStatuses: ['ERROR'] },
      );
    },
  },
  {
    id: 'partition-master-slave',
    title: 'Partition between master and slave, then the master\'s disk lost',
    does: 'Sends steadily, blackholes the HA link in the fault proxy both ways; 2 s later the master is SIGKILLed and its store deleted; the partitioned slave is promoted without healing the link, and the consumers read what it has.',
    proves: 'SYNC_MASTER waits slaveTimeout for an ack that cannot come and answers FLUSH_SLAVE_TIMEOUT, so when the master\'s disk goes, every message the partitioned slave lacks is one the producer was told was not replicated. ASYNC_MASTER answers SEND_OK and loses the partition window with the disk.',
    fault: 'blackhole the replication link (fault proxy, both directions); 2 s later SIGKILL the master and delete its store directory',
    recovery: 'promote the partitioned slave as it is (the link is not healed first); the old master is not restarted',
    timing: TIMING(12, 100, 0.3, 4),
    relevantSettings: ['brokerRole', 'slaveTimeout', 'haMaxGapNotInSync', 'haHousekeepingInterval', 'sendMode'],
    needs: ['broker', 'slave', 'ha-link-fault', 'promotion', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    inject: { kind: 'blackhole-ha-link' },
    then: { afterMs: 2000, inject: { kind: 'master-disk-loss' }, fault: 'SIGKILL the master and delete its store directory while the link is cut' },
    recover: { kind: 'promote-slave' },
    contrast: {
      teaches: 'Cut off from its slave, SYNC_MASTER waits slaveTimeout and answers FLUSH_SLAVE_TIMEOUT while ASYNC_MASTER answers SEND_OK for every message the slave never got; when the master\'s disk goes next and the partitioned slave is promoted, ASYNC_MASTER loses those SEND_OK messages, SYNC_MASTER only messages whose producer was told.',
      measure: 'lost',
      safe: { label: 'SYNC_MASTER, slaveTimeout 800 ms', broker: { brokerRole: 'SYNC_MASTER', slaveTimeout: 800 }, traffic: { sendMode: 'sync' } },
      unsafe: { label: 'ASYNC_MASTER', broker: { brokerRole: 'ASYNC_MASTER', slaveTimeout: 800 }, traffic: { sendMode: 'sync' } },
    },
    haLink: REMOTE_SLAVE_HA_LINK,
    predict: (s) => {
      const u = uncheckedNote(s);
      if (s.broker.brokerRole === 'SYNC_MASTER') {
        return prediction(
          `SYNC_MASTER + partition, then master disk loss: sends wait slaveTimeout ${s.broker.slaveTimeout} ms and answer FLUSH_SLAVE_TIMEOUT (SLAVE_NOT_AVAILABLE once the master gives the slave up); the promoted slave never got them, so they may be lost, as the producer was told. Every SEND_OK reached the slave before the cut, so none is lost.${u.note}`,
          { mayLose: ['FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', 'FLUSH_DISK_TIMEOUT', ...u.mayLose], expectedStatuses: ['FLUSH_SLAVE_TIMEOUT'] },
        );
      }
      return prediction(
        `ASYNC_MASTER + partition, then master disk loss: producers see SEND_OK while the replication lag grows behind the cut link; the promoted slave never got those messages, and they are lost with the master's disk.${u.note}`,
        { sendOkLossPossible: true, mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', ...u.mayLose], expectedStatuses: ['ERROR'] },
      );
    },
  },
  {
    id: 'slow-disk',
    title: 'Slow disk, then power loss',
    does: 'Sends steadily, then makes every fdatasync slower than syncFlushTimeout (slowDiskDelayMs); 2 s into the slow period the power fails (every file cut to its last fdatasync\'d length, SIGKILL); the master restarts on a healthy disk and the consumers read what it kept.',
    proves: 'SYNC_FLUSH does not pretend: a send whose flush does not finish within syncFlushTimeout answers FLUSH_DISK_TIMEOUT, so the power cut takes only messages the producer was told were not durable. ASYNC_FLUSH answers SEND_OK while nothing reaches the disk, and the cut takes them.',
    fault: 'slowDiskDelayMs = syncFlushTimeout + 500 ms before every fdatasync; 2 s later power loss (truncate to the fdatasync\'d length, then SIGKILL)',
    recovery: 'the disk is healthy again (slowDiskDelayMs restored); restart the master; thaw the frozen consumer 3 s later',
    timing: TIMING(12, 100, 0.3, 4),
    relevantSettings: ['flushDiskType', 'syncFlushTimeout', 'slowDiskDelayMs', 'flushIntervalCommitLog', 'sendMode'],
    needs: ['broker', 'slow-disk', 'power-loss', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    inject: { kind: 'slow-disk', marginMs: 500 },
    then: { afterMs: 2000, inject: { kind: 'power-loss' }, fault: 'power loss while the disk is slow: truncate to the fdatasync\'d length, then SIGKILL' },
    recover: [{ kind: 'restore-disk' }, { kind: 'restart-master' }],
    contrast: {
      teaches: 'A disk slower than syncFlushTimeout makes SYNC_FLUSH answer FLUSH_DISK_TIMEOUT (stored, not yet durable, and the producer knows) while ASYNC_FLUSH answers SEND_OK with nothing reaching the disk; when the power fails next, ASYNC_FLUSH loses those SEND_OK messages, SYNC_FLUSH only messages whose producer was told.',
      measure: 'lost',
      safe: { label: 'SYNC_FLUSH, syncFlushTimeout 800 ms < sendMsgTimeout 3000 ms', broker: { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 800, sendMsgTimeout: 3000 }, traffic: { sendMode: 'sync' } },
      unsafe: { label: 'ASYNC_FLUSH', broker: { flushDiskType: 'ASYNC_FLUSH', syncFlushTimeout: 800, sendMsgTimeout: 3000 }, traffic: { sendMode: 'sync' } },
    },
    predict: (s) => {
      const u = uncheckedNote(s);
      if (s.broker.flushDiskType === 'SYNC_FLUSH') {
        const producerFirst = s.broker.sendMsgTimeout <= s.broker.syncFlushTimeout;
        const how = producerFirst
          ? `the producer's sendMsgTimeout ${s.broker.sendMsgTimeout} ms runs out before syncFlushTimeout ${s.broker.syncFlushTimeout} ms, so sends end in TIMEOUT and are retried (the broker stored them: expect duplicates); set syncFlushTimeout below sendMsgTimeout to see FLUSH_DISK_TIMEOUT`
          : `sends answer FLUSH_DISK_TIMEOUT after syncFlushTimeout ${s.broker.syncFlushTimeout} ms while the disk is slow`;
        return prediction(
          `SYNC_FLUSH + slow disk, then power loss: ${how}; those not flushed by the cut may be lost, as the producer was told. Every SEND_OK was fdatasync'd before the answer, so no SEND_OK message is lost.${u.note}`,
          { mayLose: ['FLUSH_DISK_TIMEOUT', ...u.mayLose], expectedStatuses: producerFirst ? ['TIMEOUT'] : ['FLUSH_DISK_TIMEOUT'] },
        );
      }
      return prediction(
        `ASYNC_FLUSH + slow disk, then power loss: producers see SEND_OK throughout while the unflushed bytes pile up behind the slow fdatasync; the cut loses the SEND_OK messages of the slow period that were not flushed.${u.note}`,
        { sendOkLossPossible: true, mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', ...u.mayLose], expectedStatuses: ['ERROR'] },
      );
    },
  },
  {
    id: 'consumer-crash',
    title: 'Consumer crash mid-processing',
    does: 'Consumers process each message for a while; one consumer process is SIGKILLed mid-work, then restarted.',
    proves: 'Acknowledging after the work (CONSUME_SUCCESS when done) loses nothing: unacknowledged messages are delivered again. Acknowledging on arrival loses the work in flight.',
    fault: 'SIGKILL one consumer (the seed picks which)',
    recovery: 'restart that consumer (same client id); the group rebalances',
    timing: TIMING(10, 200, 0.5, 1),
    relevantSettings: ['ackMode', 'idempotent', 'maxReconsumeTimes'],
    needs: ['broker', 'consumers', 'traffic-runner'],
    workload: { consumers: 2, processingMs: 100, bodySize: 256 },
    inject: { kind: 'kill-consumer' },
    recover: { kind: 'restart-consumer' },
    contrast: {
      teaches: 'Acknowledging after the work loses nothing when a consumer dies mid-work (the work in flight is delivered again); acknowledging on arrival loses it.',
      measure: 'lost',
      safe: { label: 'ack after processing', traffic: { sendMode: 'sync', ackMode: 'after-processing', idempotent: false } },
      unsafe: { label: 'ack before processing', traffic: { sendMode: 'sync', ackMode: 'before-processing', idempotent: false } },
    },
    predict: (s) => {
      const dup = s.traffic.idempotent ? ' The idempotent consumer suppresses the redeliveries.' : ' Redelivered messages are applied twice (duplicates) unless the consumer is idempotent.';
      if (s.traffic.ackMode === 'before-processing') {
        return prediction(
          `before-processing ack + consumer crash: messages acknowledged on arrival but not yet processed when the consumer died are lost (SEND_OK, delivered, never applied).${dup}`,
          { sendOkLossPossible: true, mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', 'UNCHECKED'], duplicatesPossible: !s.traffic.idempotent },
        );
      }
      return prediction(
        `after-processing ack + consumer crash: the work in flight was never acknowledged, so it is delivered again; nothing is lost.${dup}`,
        { mayLose: uncheckedNote(s).mayLose, duplicatesPossible: !s.traffic.idempotent },
      );
    },
  },
  {
    id: 'producer-crash',
    title: 'Producer crash',
    does: 'SIGKILLs the traffic runner (the producer process, far from the broker: its link is shaped and cut at the kill) mid-stream, then starts a new producer for the rest of the run.',
    proves: 'Every send the producer was told succeeded is consumed; sends in flight at the crash are unknown: they may or may not have been stored, and nobody retries them.',
    fault: 'SIGKILL the traffic runner',
    recovery: 'start a new traffic runner (a new producer id)',
    timing: TIMING(10, 200, 0.5, 1),
    relevantSettings: ['sendMode'],
    needs: ['broker', 'consumers', 'traffic-runner', 'producer-link-fault'],
    workload: WORKLOAD,
    inject: { kind: 'kill-producer' },
    recover: { kind: 'restart-producer' },
    contrast: {
      teaches: 'A producer that checks every SendStatus (sync) knows exactly which messages were acknowledged when it dies; an unchecked one (async, callback ignored) has counted as sent the messages still on their way to the broker, and they die with its machine.',
      measure: 'lost',
      safe: CHECKED_SENDS,
      unsafe: UNCHECKED_SENDS,
    },
    clientLink: REMOTE_PRODUCER_LINK,
    predict: (s) => {
      const u = uncheckedNote(s);
      const mode = s.traffic.sendMode === 'sync' ? 'sync sends in flight' : 'async in-flight sends';
      return prediction(
        `producer crash (${s.traffic.sendMode}): ${mode} at the crash are unknown (the broker may have stored them; nobody will retry the rest); every SEND_OK the producer reported is consumed.${u.note}`,
        { mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', ...u.mayLose] },
      );
    },
  },
  {
    id: 'producer-network-flap',
    title: 'Producer network flap',
    does: 'Drops and resets the producer\'s connections to the broker for short bursts while it sends.',
    proves: 'Retries (retryTimesWhenSendFailed) hide short flaps; a send that times out after the broker stored it is a duplicate when retried.',
    fault: 'fault proxy in front of the master\'s client port: one drop longer than sendMsgTimeout, then seeded drop and reset bursts',
    recovery: 'heal the link (no fault left on the proxy)',
    timing: TIMING(12, 100, 0.3, 5),
    relevantSettings: ['retryTimesWhenSendFailed', 'retryTimesWhenSendAsyncFailed', 'sendMsgTimeout', 'sendMode'],
    needs: ['broker', 'producer-link-fault', 'consumers', 'traffic-runner'],
    workload: WORKLOAD,
    inject: { kind: 'flap-producer-link' },
    recover: { kind: 'heal-producer-link' },
    contrast: {
      teaches: 'Through resets and drops a checked producer (sync) retries what it can and is told TIMEOUT for what it cannot; an unchecked one (async-unchecked) loses the sends caught in the long drop and is never told.',
      measure: 'lost',
      safe: CHECKED_SENDS,
      unsafe: UNCHECKED_SENDS,
    },
    predict: (s) => {
      const u = uncheckedNote(s);
      const retries = s.traffic.sendMode === 'sync' ? s.broker.retryTimesWhenSendFailed : s.broker.retryTimesWhenSendAsyncFailed;
      return prediction(
        `producer network flap (${s.traffic.sendMode}): resets and short drops are retried (up to ${retries} more attempts within sendMsgTimeout ${s.broker.sendMsgTimeout} ms) and hidden; sends caught in the long drop run out of time and are told TIMEOUT; no SEND_OK is lost; a send whose answer was dropped after the broker stored it arrives twice when retried.${u.note}`,
        { mayLose: u.mayLose, expectedStatuses: ['TIMEOUT'] },
      );
    },
  },
  {
    id: 'transaction-crash',
    title: 'Transaction producer crash',
    does: 'The producer dies between the half message and its commit; the broker checks back (transactionCheckInterval) and resolves it.',
    proves: 'A half message is never delivered before its commit; a crashed producer\'s transaction is resolved by the check-back, not lost or half-applied.',
    fault: 'SIGKILL a transaction producer between half message and commit',
    recovery: 'start a new transaction producer of the same group (it answers the check-back)',
    timing: TIMING(10, 50, 0.4, 1),
    relevantSettings: ['transactionTimeOut', 'transactionCheckInterval', 'transactionCheckMax', 'idempotent'],
    needs: ['broker', 'transaction-producer', 'consumers'],
    workload: { ...WORKLOAD, producer: 'transactional' },
    // RocketMQ checks every 60 s; a drill cannot wait that long, so it runs with a short check interval.
    brokerPatch: { transactionTimeOut: 1500, transactionCheckInterval: 1000 },
    inject: { kind: 'kill-transaction-producer' },
    recover: { kind: 'restart-transaction-producer' },
    contrast: {
      teaches: 'A dead producer\'s transactions survive only through the check-back: with RocketMQ\'s transactionCheckMax (15) the broker keeps asking until the new producer answers; a broker that asks once (transactionCheckMax 1) discards the half messages nobody answered, and the committed ones among them are lost.',
      measure: 'lost',
      safe: { label: 'SYNC_FLUSH + SYNC_MASTER, transactionCheckMax 15', broker: { flushDiskType: 'SYNC_FLUSH', brokerRole: 'SYNC_MASTER', transactionCheckMax: 15 }, traffic: { ackMode: 'after-processing' } },
      unsafe: { label: 'transactionCheckMax 1, transactionTimeOut 500 ms (one check-back, before the producer is back)', broker: { transactionCheckMax: 1, transactionTimeOut: 500 }, traffic: { ackMode: 'after-processing' } },
    },
    predict: (s) => {
      const giveUpMs = transactionGiveUpMs(s);
      if (giveUpMs < TX_PRODUCER_AWAY_MS) {
        return prediction(
          `transaction crash: the broker gives an open transaction ${giveUpMs} ms (transactionTimeOut ${s.broker.transactionTimeOut} ms + transactionCheckMax ${s.broker.transactionCheckMax} × transactionCheckInterval ${s.broker.transactionCheckInterval} ms), less than the producer takes to come back: the killed producer's half messages are discarded to TRANS_CHECK_MAX_TIME_TOPIC unanswered, and the committed ones among them are lost. Rolled-back ones are never delivered.`,
          { sendOkLossPossible: true, unresolvedHalvesPossible: true, duplicatesPossible: !s.traffic.idempotent },
        );
      }
      return prediction(
        `transaction crash: the killed producer's half messages are resolved by the check-back (after transactionTimeOut ${s.broker.transactionTimeOut} ms, every transactionCheckInterval ${s.broker.transactionCheckInterval} ms) to their seeded decision; committed ones are consumed${s.traffic.idempotent ? ' once' : ' (a redelivery may apply one twice)'}, rolled-back ones never.`,
        { duplicatesPossible: !s.traffic.idempotent },
      );
    },
  },
  {
    id: 'group-loss',
    title: 'A whole broker group lost (two groups)',
    does: 'Two broker groups of master + slave share the topic; traffic spreads over both. broker-b\'s master machine is lost (SIGKILL, store deleted, its replication link cut with it) and nobody is promoted: RocketMQ 4\'s classic mode. The producer moves to broker-a; consumers read broker-b\'s slave.',
    proves: 'Writes go on without the lost group (a failed attempt is retried on another group); what broker-b had acknowledged survives on its slave only if SYNC_MASTER waited for it. ASYNC_MASTER loses broker-b\'s replication lag.',
    fault: 'SIGKILL broker-b\'s master, delete its store, cut its HA link at the same moment',
    recovery: 'none: classic mode has no failover; the producer writes to broker-a, consumers read broker-b\'s slave',
    timing: TIMING(12, 300, 0.4, 1),
    relevantSettings: ['brokerRole', 'slaveTimeout', 'retryTimesWhenSendFailed', 'sendLatencyFaultEnable', 'sendMode'],
    topology: { groups: 2, replicas: 2 },
    needs: ['broker', 'slave', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    inject: { kind: 'group-master-disk-loss', group: 1 },
    contrast: {
      teaches: 'Losing a whole group does not stop the writes, which move to the other group; whether the lost group\'s acknowledged messages survive is its replication mode\'s doing: SYNC_MASTER answered only once its slave had them, ASYNC_MASTER answered at once and loses what was still on the way.',
      measure: 'lost',
      ...SYNC_VS_ASYNC_MASTER,
    },
    haLink: REMOTE_SLAVE_HA_LINK,
    predict: (s) => {
      const writes = `Writes go on to broker-a: a send whose attempt on broker-b fails is retried there (retryTimesWhenSendFailed ${s.broker.retryTimesWhenSendFailed}${s.broker.sendLatencyFaultEnable ? ', and sendLatencyFaultEnable keeps broker-b out of the choice for 10 minutes' : ''}).`;
      return masterLossPrediction(s, {
        sync: `SYNC_MASTER + broker-b lost: every SEND_OK broker-b gave had reached its slave, which the consumers read: none is lost; FLUSH_SLAVE_TIMEOUT and SLAVE_NOT_AVAILABLE ones may be. ${writes}`,
        async: `ASYNC_MASTER + broker-b lost: SEND_OK messages broker-b's slave had not copied yet (its replication lag at the loss) are lost; broker-a's are not. ${writes}`,
      }, ['ERROR', 'TIMEOUT']);
    },
  },
  {
    id: 'controller-failover',
    title: 'Master killed, the controller elects another (controller mode)',
    does: 'One group of three replicas in RocketMQ 5\'s controller mode, each a slave of the master over a cross-region link. The master\'s machine crashes under sync sends (its process killed, what it was still sending to the slaves lost with its network, its disk kept); the controller elects a SyncStateSet member and the producer follows it through the name server. The old master is started again: the controller makes it a slave, and it cuts whatever only it held. Consumers then read the new master.',
    proves: 'With allAckInSyncStateSet a SEND_OK means every SyncStateSet member had the message, so the elected master has them all and no SEND_OK is lost. Without it (inSyncReplicas 1) the master answers before any slave has the message: the tail still on the link is lost with the failover, though nobody lost a disk.',
    fault: 'the elected master\'s machine crashes: SIGKILL, and what its HA port still had on the way to the slaves is gone with its network (its disk survives)',
    recovery: 'the controller elects a SyncStateSet member; the old master is started again and rejoins as its slave, cut to the common point',
    timing: TIMING(12, 200, 0.4, 2),
    relevantSettings: ['enableControllerMode', 'allAckInSyncStateSet', 'inSyncReplicas', 'minInSyncReplicas', 'controllerHeartBeatTimeoutMills', 'haMaxTimeSlaveNotCatchup', 'sendMode'],
    topology: { groups: 1, replicas: 3 },
    needs: ['controller', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    // Controller mode for the run, with timers short enough that an election takes about two seconds
    // (RocketMQ's defaults take 10 to 15 s: `npm run bench:failover` measures both).
    brokerPatch: { enableControllerMode: true, brokerRole: 'ASYNC_MASTER', ...CONTROLLER_LAB_TIMERS },
    inject: { kind: 'kill-elected-master' },
    recover: { kind: 'rejoin-old-master' },
    contrast: {
      teaches: 'An automatic failover keeps what the SyncStateSet acknowledged: with allAckInSyncStateSet every SEND_OK was on the replica the controller elects; with one in-sync replica enough, SEND_OK came before the slaves had it, and the failover drops that tail.',
      measure: 'lost',
      safe: { label: 'allAckInSyncStateSet', broker: { allAckInSyncStateSet: true }, traffic: { sendMode: 'sync' } },
      unsafe: { label: 'inSyncReplicas 1, no allAckInSyncStateSet', broker: { allAckInSyncStateSet: false, inSyncReplicas: 1 }, traffic: { sendMode: 'sync' } },
    },
    haLink: REMOTE_SLAVE_HA_LINK,
    predict: (s) => {
      const b = s.broker;
      const u = uncheckedNote(s);
      const rto = ` Sends fail from the kill until the election: controllerHeartBeatTimeoutMills ${b.controllerHeartBeatTimeoutMills} ms plus up to scanNotActiveBrokerInterval ${b.scanNotActiveBrokerInterval} ms, then the producer's route refresh.`;
      if (b.allAckInSyncStateSet) {
        return prediction(`controller mode, allAckInSyncStateSet: a SEND_OK came only once every SyncStateSet member had the message, and the controller elects a member: no SEND_OK is lost; the old master rejoins and cuts only what it never acknowledged.${rto}${u.note}`, { mayLose: [...u.mayLose], expectedStatuses: ['ERROR'] });
      }
      const waits = b.inSyncReplicas - 1;
      return prediction(`controller mode without allAckInSyncStateSet: a SEND_OK waited for ${waits === 0 ? 'no slave' : `${waits} slave ack${waits === 1 ? '' : 's'} (inSyncReplicas ${b.inSyncReplicas})`}, so the elected replica may lack the newest acknowledged messages (the tail still on the HA link); the old master cuts them when it rejoins, and they are lost.${rto}${u.note}`, { sendOkLossPossible: true, mayLose: [...u.mayLose], expectedStatuses: ['ERROR'] });
    },
  },
  {
    id: 'unclean-election',
    title: 'Only a lagging replica left: unclean election or not (controller mode)',
    does: 'One group of three in controller mode, allAckInSyncStateSet. A slave is SIGKILLed and leaves the SyncStateSet; sends go on, acknowledged by the master and the other slave. 2 s later both their machines crash. The lagging slave comes back first and alone; then the two others.',
    proves: 'By default (enableElectUncleanMaster false) the controller elects no replica outside the SyncStateSet: writes stop until a member returns, and nothing acknowledged is lost. With enableElectUncleanMaster the lagging replica is elected at once, writes resume sooner, and the messages acknowledged while it was away are cut from the others when they rejoin: lost.',
    fault: 'SIGKILL a slave; 2 s later the master\'s and the other slave\'s machines crash (SIGKILL, their HA ports reset)',
    recovery: 'start the lagging slave alone (the controller elects it only if enableElectUncleanMaster), then the two others; they follow whoever is master, cut to the common point',
    timing: TIMING(14, 100, 0.3, 3),
    relevantSettings: ['enableElectUncleanMaster', 'allAckInSyncStateSet', 'controllerHeartBeatTimeoutMills', 'sendMode'],
    topology: { groups: 1, replicas: 3 },
    needs: ['controller', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    brokerPatch: { enableControllerMode: true, brokerRole: 'ASYNC_MASTER', allAckInSyncStateSet: true, ...CONTROLLER_LAB_TIMERS },
    inject: { kind: 'kill-slave-replica' },
    then: { afterMs: 2000, inject: { kind: 'crash-in-sync-replicas' }, fault: 'the master\'s and the other slave\'s machines crash together' },
    recover: [{ kind: 'restart-lagging-replica' }, { kind: 'restart-crashed-replicas' }],
    haLink: REMOTE_SLAVE_HA_LINK,
    contrast: {
      teaches: 'An unclean election trades acknowledged messages for availability: with enableElectUncleanMaster the replica outside the SyncStateSet becomes master and what was acknowledged without it is cut; without it the group waits for a SyncStateSet member and keeps every SEND_OK.',
      measure: 'lost',
      safe: { label: 'enableElectUncleanMaster false (the default)', broker: { enableElectUncleanMaster: false }, traffic: { sendMode: 'sync' } },
      unsafe: { label: 'enableElectUncleanMaster true', broker: { enableElectUncleanMaster: true }, traffic: { sendMode: 'sync' } },
    },
    predict: (s) => {
      const b = s.broker;
      const u = uncheckedNote(s);
      if (b.enableElectUncleanMaster) {
        return prediction(`enableElectUncleanMaster: the lagging replica, outside the SyncStateSet, is elected as soon as it is back; the messages acknowledged while it was away (by the master and the other slave${b.allAckInSyncStateSet ? ', the whole SyncStateSet then' : ''}) are not in its log, and the others cut them when they rejoin: SEND_OK messages are lost.${u.note}`, { sendOkLossPossible: true, mayLose: [...u.mayLose], expectedStatuses: ['ERROR'] });
      }
      return prediction(`enableElectUncleanMaster false: the lagging replica is not elected; the group has no master until the old master or the other slave is back, then one of them is elected with every acknowledged message: no SEND_OK is lost, at the price of a longer outage.${b.allAckInSyncStateSet ? '' : ' (Without allAckInSyncStateSet the elected member may still lack the newest acknowledged messages.)'}${u.note}`, { sendOkLossPossible: !b.allAckInSyncStateSet, mayLose: [...u.mayLose], expectedStatuses: ['ERROR'] });
    },
  },
  {
    id: 'isolated-master',
    title: 'Master cut from its replicas and the controller, not from its producers (controller mode)',
    does: 'One group of three in controller mode. The master is cut from the two slaves and from the controller, while producers still reach it (apache/rocketmq#7017\'s partition). The controller, hearing nothing, elects a slave; for a while two replicas think they are master. Then the partition heals: the old master learns the newer epoch and rejoins as a slave, cut to the common point.',
    proves: 'With allAckInSyncStateSet the isolated master cannot answer SEND_OK (its SyncStateSet members never ack; it cannot shrink the set without the controller): its producers are told FLUSH_SLAVE_TIMEOUT and nothing acknowledged is lost. With one in-sync replica enough it answers SEND_OK alone, and everything it took during the partition is cut when it rejoins.',
    fault: 'blackhole the master\'s HA port and its link to the controller, both ways; producers and consumers still reach it',
    recovery: 'the controller elects a slave; the partition heals; the old master follows the new one, cut to the common point',
    timing: TIMING(14, 100, 0.3, 4),
    relevantSettings: ['allAckInSyncStateSet', 'inSyncReplicas', 'slaveTimeout', 'controllerHeartBeatTimeoutMills', 'sendMode'],
    topology: { groups: 1, replicas: 3 },
    needs: ['controller', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    brokerPatch: { enableControllerMode: true, brokerRole: 'ASYNC_MASTER', ...CONTROLLER_LAB_TIMERS },
    inject: { kind: 'isolate-elected-master' },
    recover: { kind: 'heal-isolated-master' },
    haLink: REMOTE_SLAVE_HA_LINK,
    contrast: {
      teaches: 'A master the controller has replaced but cannot reach keeps taking writes from its producers: with allAckInSyncStateSet it cannot acknowledge them (its producers are told), with one in-sync replica enough it acknowledges them and they vanish when it rejoins.',
      measure: 'lost',
      safe: { label: 'allAckInSyncStateSet', broker: { allAckInSyncStateSet: true }, traffic: { sendMode: 'sync' } },
      unsafe: { label: 'inSyncReplicas 1, no allAckInSyncStateSet', broker: { allAckInSyncStateSet: false, inSyncReplicas: 1 }, traffic: { sendMode: 'sync' } },
    },
    predict: (s) => {
      const b = s.broker;
      const u = uncheckedNote(s);
      if (b.allAckInSyncStateSet) {
        return prediction(`allAckInSyncStateSet: the isolated master waits for SyncStateSet members it cannot reach and answers FLUSH_SLAVE_TIMEOUT after slaveTimeout ${b.slaveTimeout} ms; the messages it took are cut when it rejoins, as its producers were told. Every SEND_OK came from a master whose set had it: none is lost.${u.note}`, { mayLose: ['FLUSH_SLAVE_TIMEOUT', ...u.mayLose], expectedStatuses: ['FLUSH_SLAVE_TIMEOUT'] });
      }
      return prediction(`without allAckInSyncStateSet (inSyncReplicas ${b.inSyncReplicas}) the isolated master answers SEND_OK alone while the controller has already elected another: two masters. What its producers sent it during the partition is cut when it rejoins: SEND_OK messages are lost.${u.note}`, { sendOkLossPossible: true, mayLose: ['FLUSH_SLAVE_TIMEOUT', ...u.mayLose], expectedStatuses: ['ERROR'] });
    },
  },
  {
    id: 'master-controller-crash',
    title: 'Master and controller crash together, both restart (controller mode)',
    does: 'One group of three in controller mode. The power fails on the master\'s machine and the controller is SIGKILLed at the same moment (apache/rocketmq#7689, found with OpenChaos). The master starts again first, then the controller: its record on disk still names that master, which heartbeats within the grace a restarted controller gives it, so it is master again with what its disk kept and takes writes at once; the slaves follow it, cutting what it no longer has.',
    proves: 'With SYNC_FLUSH and allAckInSyncStateSet every SEND_OK was on the master\'s disk and on every SyncStateSet member: the restarted master holds them all and numbers new messages after them, since its queue offsets come from its whole log, not from the confirm offset it last wrote (apache/rocketmq#7690; the lab bug queue-offsets-from-confirm-offset brings #7689 back). With ASYNC_FLUSH and one in-sync replica the master answered from its page cache: the power cut takes that tail, and the slaves that held it cut it to follow the master.',
    fault: 'power loss on the elected master (its files cut to what fdatasync made durable, SIGKILL, its HA port reset) and SIGKILL to the controller, together',
    recovery: 'start the master, then the controller; the controller keeps the master its record names if it heartbeats within controllerHeartBeatTimeoutMills; every replica follows the master, cut to the common point',
    timing: TIMING(12, 200, 0.4, 1),
    relevantSettings: ['enableControllerMode', 'flushDiskType', 'allAckInSyncStateSet', 'inSyncReplicas', 'controllerHeartBeatTimeoutMills', 'sendMode'],
    topology: { groups: 1, replicas: 3 },
    needs: ['controller', 'power-loss', 'consumers', 'traffic-runner'],
    workload: { ...WORKLOAD, consumersStart: 'after-recovery' },
    // A grace long enough for the restarted master's first heartbeat (it retries the controller every second).
    brokerPatch: { enableControllerMode: true, brokerRole: 'ASYNC_MASTER', ...CONTROLLER_LAB_TIMERS, controllerHeartBeatTimeoutMills: 3000 },
    inject: { kind: 'crash-master-and-controller' },
    recover: { kind: 'restart-master-then-controller' },
    haLink: REMOTE_SLAVE_HA_LINK,
    contrast: {
      teaches: 'A master that comes back before the controller notices it left stays master with what its disk kept: SYNC_FLUSH and allAckInSyncStateSet acknowledge only what survives that, ASYNC_FLUSH with one in-sync replica acknowledges a tail the power cut takes, and the slaves give it up to follow the master.',
      measure: 'lost',
      safe: { label: 'SYNC_FLUSH, allAckInSyncStateSet', broker: { flushDiskType: 'SYNC_FLUSH', allAckInSyncStateSet: true }, traffic: { sendMode: 'sync' } },
      unsafe: { label: 'ASYNC_FLUSH, inSyncReplicas 1', broker: { flushDiskType: 'ASYNC_FLUSH', allAckInSyncStateSet: false, inSyncReplicas: 1 }, traffic: { sendMode: 'sync' } },
    },
    predict: (s) => {
      const b = s.broker;
      const u = uncheckedNote(s);
      const back = `the master starts before the controller and heartbeats within controllerHeartBeatTimeoutMills ${b.controllerHeartBeatTimeoutMills} ms of its restart, so the controller keeps it as master`;
      if (b.flushDiskType === 'ASYNC_FLUSH') {
        return prediction(`ASYNC_FLUSH: the master answered SEND_OK before its fdatasync (flushIntervalCommitLog ${b.flushIntervalCommitLog} ms); the power cut takes that tail; ${back}, and the slaves that held the tail cut it to follow it: SEND_OK messages are lost.${u.note}`, { sendOkLossPossible: true, mayLose: [...u.mayLose], expectedStatuses: ['ERROR'] });
      }
      if (!b.allAckInSyncStateSet) {
        return prediction(`SYNC_FLUSH without allAckInSyncStateSet: every SEND_OK is on the master's disk and ${back}: nothing acknowledged is lost. Had the controller elected a slave instead, the tail it lacked would be.${u.note}`, { sendOkLossPossible: true, mayLose: [...u.mayLose], expectedStatuses: ['ERROR'] });
      }
      return prediction(`SYNC_FLUSH and allAckInSyncStateSet: every SEND_OK was on the master's disk and on every SyncStateSet member; ${back}. Its next queue offsets come from its whole log, so no new message reuses the queue offset of one past the confirm offset it last wrote (apache/rocketmq#7689): no SEND_OK is lost.${u.note}`, { mayLose: [...u.mayLose], expectedStatuses: ['ERROR'] });
    },
  },
];

/**
 * A variant that exists to catch deliberate bugs (broker/lab-bugs.ts) the drills above cannot see:
 * its workload puts seconds between an answer and the disk, with consumers reading across the cut.
 */
DRILLS.push(
  {
    id: 'power-loss-slow-disk',
    title: 'Power loss on a slow disk, consumers reading',
    does: 'Consumers read while the producer sends; every fdatasync becomes slower than syncFlushTimeout, and 250 ms later the power fails while the disk is still slow; the master restarts, the consumers read on.',
    proves: 'SYNC_FLUSH answers SEND_OK only after an fdatasync and consumers see only flushed records, even on a disk slower than syncFlushTimeout: a power cut then loses no SEND_OK, and no consumer reads a record the cut takes back (it would skip the new records that reuse its queue offsets).',
    fault: 'slowDiskDelayMs = syncFlushTimeout + 200 ms, and 250 ms later power loss (truncate to the fdatasync\'d length, SIGKILL)',
    recovery: 'the disk is healthy again (slowDiskDelayMs restored); restart the master; thaw the frozen consumer 3 s later',
    timing: TIMING(10, 200, 0.3, 1),
    relevantSettings: ['flushDiskType', 'syncFlushTimeout', 'sendMsgTimeout', 'slowDiskDelayMs', 'sendMode'],
    needs: ['broker', 'power-loss', 'slow-disk', 'consumers', 'traffic-runner'],
    // One consumer: it keeps its queues and the offsets it holds across the restart. Two would
    // rebalance while their heartbeats come back and reload older committed offsets (duplicates, not
    // the skip this drill looks for). Its first pull after the cut comes 3 s later (the client's
    // pull-retry delay), after the master is back (about 2 s) and the producer has refilled the
    // reused queue offsets: a consumer that read unflushed records then skips those.
    workload: { ...WORKLOAD, consumers: 1 },
    // The consumer is frozen through the restart and thawed 3 s after it, so its first pull comes once
    // the traffic has refilled the reused queue offsets: whatever it read past the flushed offset then
    // makes it skip SEND_OK messages, whatever the machine's restart time (without the pause, a slow
    // restart let the offset correction turn that loss into duplicates).
    inject: { kind: 'slow-disk-power-loss', marginMs: 200, slowForMs: 250, pauseConsumers: true },
    recover: [{ kind: 'restart-master' }, { kind: 'resume-consumers', afterMs: 3000 }],
    contrast: {
      teaches: 'On a slow disk SYNC_FLUSH answers FLUSH_DISK_TIMEOUT for what is not yet durable, so the cut takes only messages the producer was told were not confirmed; ASYNC_FLUSH answers SEND_OK from the page cache and the cut takes seconds of them.',
      measure: 'lost',
      safe: { label: 'SYNC_FLUSH, syncFlushTimeout 100 ms < sendMsgTimeout 3000 ms', broker: { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 100, sendMsgTimeout: 3000 }, traffic: { sendMode: 'sync' } },
      unsafe: { label: 'ASYNC_FLUSH', broker: { flushDiskType: 'ASYNC_FLUSH', syncFlushTimeout: 100, sendMsgTimeout: 3000 }, traffic: { sendMode: 'sync' } },
    },
    predict: (s) => {
      const u = uncheckedNote(s);
      if (s.broker.flushDiskType === 'SYNC_FLUSH') {
        const producerFirst = s.broker.sendMsgTimeout <= s.broker.syncFlushTimeout;
        const told = producerFirst ? `TIMEOUT (sendMsgTimeout ${s.broker.sendMsgTimeout} ms runs out before syncFlushTimeout ${s.broker.syncFlushTimeout} ms)` : `FLUSH_DISK_TIMEOUT after syncFlushTimeout ${s.broker.syncFlushTimeout} ms`;
        return prediction(
          `SYNC_FLUSH + slow disk + power loss: while the disk is slow sends answer ${told}; those not flushed by the cut may be lost. Every SEND_OK was fdatasync'd first and consumers saw only flushed records, so no SEND_OK message is lost.${u.note}`,
          { mayLose: ['FLUSH_DISK_TIMEOUT', ...u.mayLose], expectedStatuses: [producerFirst ? 'TIMEOUT' : 'FLUSH_DISK_TIMEOUT'] },
        );
      }
      return prediction(
        `ASYNC_FLUSH + slow disk + power loss: SEND_OK is answered from the page cache while the slow disk falls behind, so the cut loses the SEND_OK messages of the slow period and the unflushed window; consumers that read them then skip the new messages that reuse their queue offsets.${u.note}`,
        { sendOkLossPossible: true, mayLose: ['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE', ...u.mayLose], expectedStatuses: ['ERROR'] },
      );
    },
  },
);

const byId = new Map(DRILLS.map((d) => [d.id, d]));

export function drillSpec(id: DrillId): DrillSpec {
  const spec = byId.get(id);
  if (!spec) throw new Error(`no drill ${id}`);
  return spec;
}
